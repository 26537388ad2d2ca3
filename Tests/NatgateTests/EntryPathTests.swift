import Foundation
import Logging
import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

// The kernel store changes natgate's chains as kernel entries (EntryChainsEditor); the memory
// store as model rules (ModelChainsEditor). Both must end with the same tables and report the
// same plans, and drift must send the kernel path back to the model.

@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct EntryPathTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test(arguments: [(Family.ipv4, UInt64(1)), (.ipv4, 2), (.ipv6, 3)])
    func kernelEntriesAndModelEndEqualWithEqualPlans(family: Family, seed: UInt64) throws {
        let host = family == .ipv4 ? "docker" : "docker-v6"
        let canonical = try String(contentsOf: Paths.hosts.appendingPathComponent("\(host).canonical"), encoding: .utf8)
        try Scratch.with(family) { scratch in
            try scratch.load(canonical)
            let logs = CollectedLogs()
            let logger = Logger(label: "test", factory: { _ in CollectingLogHandler(logs: logs) })
            let kernel = GatewayController(store: KernelRuleStore(namespace: scratch.namespace.namespace, logger: Self.quiet, usesIPSets: false), forwarding: nil, logger: logger)
            let memoryStore = MemoryRuleStore([try Ruleset(saveText: canonical, family: family)])
            let memory = GatewayController(store: memoryStore, forwarding: nil, logger: Self.quiet)

            var rng = SeededRandom(seed: seed)
            var operations: [GatewayController.Operation] = []
            for _ in 0..<14 {
                switch Int.random(in: 0..<5, using: &rng) {
                case 0, 1: operations.append(.enable(try CollidingGateways.gateway(family, using: &rng)))
                case 2: operations.append(.disable(try CollidingGateways.gateway(family, using: &rng).key))
                default:
                    var gateways: [Gateway] = []
                    for _ in 0..<Int.random(in: 0..<4, using: &rng) { gateways.append(try CollidingGateways.gateway(family, using: &rng)) }
                    if let set = try? GatewaySet(gateways) { operations.append(.apply(set)) }
                }
            }
            operations.append(.flush)

            var changes = 0
            for operation in operations {
                // `plan` reads as the change does, and predicts it.
                let planned = Result { try kernel.plan(operation) }
                #expect("\(planned)" == "\(Result { try memory.plan(operation) })", "plan \(operation)")
                let expected = Result { try memory.perform(operation) }
                let actual = Result { try kernel.perform(operation) }
                switch (expected, actual) {
                case (.success(let want), .success(let got)):
                    if case .success(let plan) = planned { #expect(got.plan == plan, "\(operation)") }
                    #expect(got.outcome == want.outcome, "\(operation)")
                    if got.outcome == .changed { changes += 1 }
                    #expect(got.plan == want.plan, "\(operation)")
                    #expect(got.gatewayChanges == want.gatewayChanges, "\(operation)")
                    #expect(got.gateways == want.gateways, "\(operation)")
                case (.failure(let want), .failure(let got)):
                    #expect("\(got)" == "\(want)", "\(operation)")
                default:
                    Issue.record("\(operation): memory \(expected), kernel \(actual)")
                }
                let kernelTables = try tables(try scratch.save(), family)
                for name in [TableName.filter, .nat] {
                    let want = memoryStore.ruleset(family).tables.first { $0.name == name } ?? Table.empty(name, family: family)
                    let got = kernelTables[name] ?? Table.empty(name, family: family)
                    #expect(TableDiff.lines(from: want, to: got) == [], "\(operation) \(name)")
                }
            }
            #expect(changes >= 5, "the sequence hardly changed anything; pick other seeds")
            // Clean chains never needed the model.
            #expect(!logs.all.contains { $0.contains("through the model") })
        }
    }

    @Test func creatingMissingTablesIsDecidedAsTheCallerSaysOrByADryRun() throws {
        try Scratch.with { scratch in
            let store = KernelRuleStore(namespace: scratch.namespace.namespace, logger: Self.quiet, usesIPSets: false)
            let chain = OwnedChains.forward
            let names = { () throws -> Set<TableName> in try store.existingTables(.ipv4) }
            #expect(try names().isEmpty, "a new namespace has no legacy tables yet")
            // Not said to write, and did not: a dry run finds that out, nothing is created.
            var runs = 0
            let nothing = try store.updateNative(.ipv4, tables: [.nat, .filter], creatingMissing: false) { (_: inout [TableName: Table], _: inout EntryChains) -> Bool in
                runs += 1
                return true
            }
            #expect(nothing)
            #expect(runs == 1)
            #expect(try names().isEmpty)
            // Not said to write, but did: the change is made after a dry run, in that table only.
            runs = 0
            let wrote = try store.updateNative(.ipv4, tables: [.nat, .filter], creatingMissing: false) { (tables: inout [TableName: Table], chains: inout EntryChains) -> Bool in
                runs += 1
                tables[.filter]![chain: chain] = Chain(name: chain)
                var list = EntryList(family: .ipv4)
                try list.append(encoding: Rule(source: Negatable(IPNetwork("10.9.0.0/16")), target: .accept), table: .filter, chain: chain)
                chains.lists[.filter] = list
                return true
            }
            #expect(wrote)
            #expect(runs >= 2)
            #expect(try names() == [.filter])
            #expect(try scratch.save().contains("-A NATGATE-FORWARD -s 10.9.0.0/16 -j ACCEPT"))
            // Given up: nothing is committed.
            let committed = try store.updateNative(.ipv4, tables: [.filter], creatingMissing: false) { (_: inout [TableName: Table], chains: inout EntryChains) -> Bool in
                chains.lists[.filter] = EntryList(family: .ipv4)
                return false
            }
            #expect(!committed)
            #expect(try scratch.save().contains("-A NATGATE-FORWARD -s 10.9.0.0/16 -j ACCEPT"))
            // Said it writes: missing tables are created without a dry run.
            runs = 0
            let created = try store.updateNative(.ipv4, tables: [.nat], creatingMissing: true) { (tables: inout [TableName: Table], _: inout EntryChains) -> Bool in
                runs += 1
                tables[.nat]![chain: .postrouting]!.rules.append(Rule(target: .accept))
                return true
            }
            #expect(created)
            #expect(runs == 1)
            #expect(try names() == [.filter, .nat])
        }
    }

    @Test func driftSendsTheChangeThroughTheModelWhichRepairsIt() throws {
        try Scratch.with { scratch in
            let logs = CollectedLogs()
            let logger = Logger(label: "test", factory: { _ in CollectingLogHandler(logs: logs) })
            let natgate = GatewayController(store: KernelRuleStore(namespace: scratch.namespace.namespace, logger: Self.quiet, usesIPSets: false), forwarding: nil, logger: logger)
            let a = try Gateway(subnet: IPNetwork("10.250.1.0/24"), uplink: InterfaceName("eth0"))
            let b = try Gateway(subnet: IPNetwork("10.250.2.0/24"), uplink: InterfaceName("eth0"))
            let c = try Gateway(subnet: IPNetwork("10.250.3.0/24"), uplink: InterfaceName("eth0"))
            try natgate.apply(GatewaySet([a, b]))
            #expect(!logs.all.contains { $0.contains("through the model") })
            // Someone adds a rule to natgate's chain by hand.
            _ = try scratch.namespace.shell("iptables-legacy -I NATGATE-FORWARD 2 -s 192.0.2.0/24 -j ACCEPT")
            #expect(try natgate.status().hasDrift)

            try natgate.enable(c)
            #expect(logs.all.contains { $0.contains("through the model") })
            let status = try natgate.status()
            #expect(!status.hasDrift)
            #expect(status.families[0].gateways.map(\.gateway) == [a, b, c])
            #expect(!(try scratch.save()).contains("192.0.2.0/24"))
        }
    }
}
