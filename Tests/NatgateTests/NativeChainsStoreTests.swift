import Foundation
import Logging
import NatgateEngine
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import Testing

/// The store protocol as a new backend would use it: a store names its own form of natgate's
/// chains (`RuleStore.NativeChains`) and the controller changes them in that form; drift sends the
/// change through the model; a store without a form (`ModelRules`) is never asked for one.
@Suite struct NativeChainsStoreTests {
    /// A form that holds each owned chain as the gateways whose rules it has, as a backend's
    /// native rules would; `drifted` stands for rules that are not exactly some gateways'.
    struct GatewayChains: OwnedChainsForm {
        var byTable: [TableName: [Gateway]] = [:]
        var drifted = false

        static func codec(_ family: Family) -> Int { 0 }

        func gateways(_ codec: inout Int) -> GatewaySet? {
            codec += 1
            guard !drifted, byTable[.filter, default: []] == byTable[.nat, default: []],
                  let set = try? GatewaySet(byTable[.filter, default: []]), set.gateways == byTable[.filter, default: []]
            else { return nil }
            return set
        }

        mutating func set(_ table: TableName, to gateways: [Gateway], _ codec: inout Int) throws {
            byTable[table] = gateways
        }

        mutating func restore(_ table: TableName, from earlier: GatewayChains) {
            byTable[table] = earlier.byTable[table]
        }
    }

    /// Model tables in memory, natgate's chains beside them in `GatewayChains`.
    final class NativeStore: RuleStore, @unchecked Sendable {
        let model = MemoryRuleStore()
        var chains: [Family: GatewayChains] = [:]
        var nativeCommits = 0
        var modelUpdates = 0
        var defaultForwarding: Forwarding? { nil }

        func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table] {
            // The model view: the owned chains' rules compiled from the gateways held natively.
            var read = try model.read(family, tables: tables)
            let compiler = GatewayCompiler()
            for (table, gateways) in chains[family]?.byTable ?? [:] {
                guard let owned = OwnedChains.owned(in: table), read[table]?.chain(named: owned) != nil else { continue }
                read[table]![chain: owned]!.rules = gateways.flatMap { compiler.rules(for: $0, table: table) }
            }
            return read
        }

        func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws {
            modelUpdates += 1
            // The model view, changed and kept as model rules: nothing is held natively any more.
            var changed = try read(family, tables: tables)
            try body(&changed)
            try model.update(family, tables: tables) { $0 = changed }
            chains[family] = nil
        }

        func readNative(_ family: Family, tables: [TableName]) throws -> ([TableName: Table], GatewayChains)? {
            (try model.read(family, tables: tables), chains[family] ?? GatewayChains())
        }

        func updateNative(
            _ family: Family, tables: [TableName], creatingMissing: Bool, commitOrder: () -> [TableName]?,
            _ body: (inout [TableName: Table], inout GatewayChains) throws -> Bool
        ) throws -> Bool {
            var (tables, native) = try readNative(family, tables: tables)!
            let names = Array(tables.keys)
            guard try body(&tables, &native) else { return false }
            try model.update(family, tables: names) { $0 = tables }
            chains[family] = native
            nativeCommits += 1
            return true
        }

        func inNamespace<T>(_ body: () throws -> T) throws -> T { try body() }
    }

    static func controller(_ store: some RuleStore) -> GatewayController {
        GatewayController(store: store, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func aStoreWithItsOwnFormIsChangedInIt() throws {
        let store = NativeStore()
        let natgate = Self.controller(store)
        let a = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))
        let b = try Gateway(subnet: IPNetwork("10.200.2.0/24"), uplink: InterfaceName("eth0"))
        #expect(try natgate.apply(GatewaySet([a, b])).outcome == .changed)
        #expect(store.chains[.ipv4]?.byTable == [.filter: [a, b], .nat: [a, b]])
        #expect(store.modelUpdates == 0)
        // The model tables have natgate's chains and the jumps to them, without rules.
        let tables = try store.model.read(.ipv4, tables: [.filter, .nat])
        #expect(tables[.filter]?.chain(named: OwnedChains.forward)?.rules == [])
        #expect(tables[.nat]?.chain(named: OwnedChains.postrouting)?.rules == [])
        #expect(try natgate.status().families.first { $0.family == .ipv4 }?.gateways.map(\.gateway) == [a, b])

        #expect(try natgate.apply(GatewaySet([a, b])).outcome == .unchanged)
        #expect(try natgate.disable(a.key).outcome == .changed)
        #expect(store.chains[.ipv4]?.byTable == [.filter: [b], .nat: [b]])
        #expect(store.modelUpdates == 0)
        // The plan reads the form too: enabling `a` again adds just its rules.
        let rules = OwnedChains.tables.map { GatewayCompiler().rules(for: a, table: $0).count }.reduce(0, +)
        #expect(try natgate.plan(.enable(a)).tables.flatMap(\.lines).filter { $0.hasPrefix("+") }.count == rules)
        #expect(try natgate.plan(.enable(a)).tables.flatMap(\.lines).allSatisfy { $0.hasPrefix("+") })
    }

    @Test func driftInTheFormSendsTheChangeThroughTheModel() throws {
        let store = NativeStore()
        let natgate = Self.controller(store)
        let a = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))
        let b = try Gateway(subnet: IPNetwork("10.200.2.0/24"), uplink: InterfaceName("eth0"))
        try natgate.enable(a)
        let commits = store.nativeCommits
        store.chains[.ipv4]!.drifted = true
        #expect(try natgate.enable(b).outcome == .changed)
        #expect(store.nativeCommits == commits, "nothing is committed in a form that did not read back")
        #expect(store.modelUpdates > 0)
        #expect(try natgate.status().families.first { $0.family == .ipv4 }?.gateways.map(\.gateway) == [a, b])
    }

    @Test func aStoreWithoutAFormIsNeverAskedForOne() throws {
        let store = MemoryRuleStore()
        #expect(try store.readNative(.ipv4, tables: [.filter, .nat]) == nil)
        var ran = false
        let committed = try store.updateNative(.ipv4, tables: [.filter, .nat], creatingMissing: true, commitOrder: { nil }) { (_: inout [TableName: Table], _: inout ModelRules) -> Bool in
            ran = true
            return true
        }
        #expect(!committed && !ran)
        let a = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))
        try Self.controller(store).enable(a)
        #expect(store.ruleset(.ipv4).tables.first { $0.name == .nat }?.chain(named: OwnedChains.postrouting)?.rules.count == 1)
    }
}
