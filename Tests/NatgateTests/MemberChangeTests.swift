import Foundation
import Logging
import NatgateModel
import NatgatePolicy
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// `enable`/`disable` by set members alone (GatewayController+Members) against the full path that
/// reads every gateway: the same cases run both ways, in memory and in the kernel, and must give the
/// same outcomes, messages, plans, errors, tables and sets; in memory the tests also check which way
/// each step took, so that the comparison covers the member-only way.
@Suite struct MemberChangeTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// One step of a case: a change, or an edit by hand.
    enum Step: Sendable, CustomStringConvertible {
        case enable(Gateway, fast: Bool)
        case disable(Gateway.Key, fast: Bool)
        /// Appends `-j ACCEPT` to NATGATE-FORWARD, as a person could.
        case foreignRule

        var description: String {
            switch self {
            case .enable(let gateway, _): "enable \(gateway)"
            case .disable(let key, _): "disable \(key)"
            case .foreignRule: "a foreign rule in NATGATE-FORWARD"
            }
        }

        /// Whether the member-only way must make this step.
        var fast: Bool? {
            switch self {
            case .enable(_, let fast), .disable(_, let fast): fast
            case .foreignRule: nil
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var initial: [Gateway]
        var steps: [Step]
        var testDescription: String { name }
    }

    static func g(_ subnet: String, _ uplink: String = "eth0", via: String? = nil, snatTo: String? = nil) -> Gateway {
        try! gateway(subnet, uplink, via: via, snatTo: snatTo)
    }

    static let a = g("10.200.1.0/24")
    static let b = g("10.200.2.0/24")
    static let c = g("10.200.3.0/24", "eth1")

    static let cases: [Case] = [
        Case(name: "a gateway of shapes in place comes and goes", initial: [a, b], steps: [
            .enable(c, fast: true), .disable(c.key, fast: true), .enable(c, fast: true),
        ]),
        Case(name: "enabled already as asked", initial: [a, b], steps: [.enable(a, fast: true), .enable(b, fast: true)]),
        Case(name: "the same subnet through another uplink", initial: [a, b], steps: [.enable(g("10.200.1.0/24", "eth1"), fast: false)]),
        Case(name: "other options of shapes in place", initial: [a, g("10.200.2.0/24", snatTo: "203.0.113.9")], steps: [
            .enable(g("10.200.1.0/24", snatTo: "203.0.113.9"), fast: false),
        ]),
        Case(name: "inside the subnet of a gateway", initial: [a, g("10.201.0.0/16")], steps: [
            .enable(g("10.201.7.0/24"), fast: false), .enable(g("10.201.0.0/16", "eth1"), fast: false), .enable(g("10.202.7.0/24"), fast: true),
        ]),
        Case(name: "holding the subnet of a gateway", initial: [a, g("10.201.7.0/24")], steps: [.enable(g("10.201.0.0/16"), fast: false)]),
        Case(name: "disable of what is not there", initial: [a, b, c], steps: [
            .disable(b.key, fast: true), .disable(b.key, fast: false), .disable(Gateway.Key(subnet: a.subnet, uplink: c.uplink), fast: false),
            .disable(Gateway.Key(subnet: try! IPNetwork("10.200.1.0/25"), uplink: a.uplink), fast: false),
        ]),
        Case(name: "the last of a shape or a prefix length", initial: [a, b, g("10.200.4.0/24", snatTo: "203.0.113.9"), g("10.203.0.0/23")], steps: [
            .disable(Gateway.Key(subnet: try! IPNetwork("10.200.4.0/24"), uplink: a.uplink), fast: false),
            .disable(Gateway.Key(subnet: try! IPNetwork("10.203.0.0/23"), uplink: a.uplink), fast: false),
            .disable(b.key, fast: true), .disable(a.key, fast: false),
        ]),
        Case(name: "--via: enabled by members, disabled by the full path", initial: [g("10.200.1.0/24", via: "v-1"), g("10.200.2.0/24", via: "v-2")], steps: [
            .enable(g("10.200.3.0/24", via: "v-3"), fast: true), .enable(g("10.200.3.0/24", via: "v-3"), fast: true),
            .enable(g("10.200.3.0/24", via: "v-9"), fast: false), .disable(g("10.200.3.0/24").key, fast: false),
        ]),
        Case(name: "a new shape and a new prefix length", initial: [a], steps: [
            .enable(g("10.200.2.0/24", snatTo: "203.0.113.9"), fast: false), .enable(g("10.202.0.0/25"), fast: false),
            .enable(g("10.202.0.128/25"), fast: true), .enable(g("10.202.1.0/24"), fast: false),
        ]),
        Case(name: "IPv6", initial: [g("fd00:1::/64"), g("fd00:2::/64"), a], steps: [
            .enable(g("fd00:3::/64", "eth1"), fast: true), .disable(g("fd00:1::/64").key, fast: true), .enable(g("fd00::/48"), fast: false),
        ]),
        Case(name: "drift in the tables takes the full path, which repairs it", initial: [a, b], steps: [
            .foreignRule, .enable(c, fast: false), .disable(c.key, fast: true),
        ]),
    ]

    /// What one step gave: the report's fields or the error, then the tables and sets after it.
    static func outcome(_ result: Result<GatewayController.Report, NatgateError>) -> String {
        switch result {
        case .success(let report):
            "\(report.outcome) | \(report.message) | \(report.plan.tables) | \(report.plan.sets) | \(report.forwarding) | \(report.gateways) | \(report.gatewayChanges) | \(report.repaired) | \(report.unrepaired)"
        case .failure(let error):
            "error \(error.exitCode): \(error.message)"
        }
    }

    /// Runs `c` in memory, members alone allowed or not: each step's outcome and state, and
    /// whether it read every member.
    static func runInMemory(_ c: Case, membersAlone: Bool) throws -> (outcomes: [String], readAll: [Bool]) {
        let sets = MemoryIPSetStore()
        let store = MemoryRuleStore([], ipSets: sets)
        var natgate = GatewayController(store: store, logger: logger)
        natgate.changesMembersAlone = membersAlone
        try natgate.apply(try GatewaySet(c.initial))
        var outcomes: [String] = []
        var readAll: [Bool] = []
        for step in c.steps {
            let reads = sets.wholeReads
            let result: Result<GatewayController.Report, NatgateError>
            switch step {
            case .enable(let gateway, _): result = Result { () throws(NatgateError) in try natgate.enable(gateway) }
            case .disable(let key, _): result = Result { () throws(NatgateError) in try natgate.disable(key) }
            case .foreignRule:
                try store.update(.ipv4, tables: [.filter]) { tables in tables[.filter]![chain: OwnedChains.forward]!.rules.append(Rule(target: .accept)) }
                continue
            }
            readAll.append(sets.wholeReads != reads)  // before the report's gateways are read back
            let state = Family.allCases.map { store.ruleset($0).saveText() }.joined() + IPSetContents.saveText(sets.all.values)
            outcomes.append("\(step): \(outcome(result))\n\(state)")
        }
        return (outcomes, readAll)
    }

    @Test(arguments: cases) func bothWaysGiveTheSameInMemory(_ c: Case) throws {
        let fast = try Self.runInMemory(c, membersAlone: true)
        let full = try Self.runInMemory(c, membersAlone: false)
        for (index, (x, y)) in zip(fast.outcomes, full.outcomes).enumerated() {
            #expect(x == y, "step \(index + 1)")
        }
        #expect(full.readAll.allSatisfy { $0 }, "the full path reads every member")
        let expected = c.steps.compactMap(\.fast)
        #expect(fast.readAll.map { !$0 } == expected, "which steps took members alone")
    }

    @Test(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip, ipset and iptables-legacy"), arguments: cases)
    func bothWaysGiveTheSameInTheKernel(_ c: Case) throws {
        func run(membersAlone: Bool) throws -> [String] {
            try Scratch.with { scratch in
                var natgate = scratch.controller
                natgate.changesMembersAlone = membersAlone
                try natgate.apply(try GatewaySet(c.initial))
                var outcomes: [String] = []
                for step in c.steps {
                    let result: Result<GatewayController.Report, NatgateError>
                    switch step {
                    case .enable(let gateway, _): result = Result { () throws(NatgateError) in try natgate.enable(gateway) }
                    case .disable(let key, _): result = Result { () throws(NatgateError) in try natgate.disable(key) }
                    case .foreignRule:
                        try scratch.namespace.shell("iptables-legacy -w -A NATGATE-FORWARD -j ACCEPT")
                        continue
                    }
                    let state = try scratch.saveAll() + (try scratch.namespace.run(["ip6tables-legacy-save"]).standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n"))
                    outcomes.append("\(step): \(Self.outcome(result))\n\(state)")
                }
                return outcomes
            }
        }
        let fast = try run(membersAlone: true)
        let full = try run(membersAlone: false)
        for (index, (x, y)) in zip(fast, full).enumerated() {
            #expect(x == y, "step \(index + 1)")
        }
        #expect(fast.count == full.count)
    }

    /// A change killed after its record was written leaves the record: the next enable of a
    /// gateway of shapes in place takes the full path, which completes the recorded change first.
    @Test(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip, ipset and iptables-legacy"))
    func anInterruptedChangeIsCompletedFirstByTheFullPath() throws {
        try Scratch.with { scratch in
            let natgate = scratch.controller
            try natgate.apply(try GatewaySet([Self.a, Self.b]))
            let store = natgate.store
            let log = try #require(store.intentLog)
            try store.inNamespace { try log.record([.enable(Self.c)]) }
            let d = Self.g("10.200.4.0/24")
            let report = try natgate.enable(d)
            #expect(report.gatewayChanges == GatewayController.GatewayChanges(added: 2), "c completed first, then d")
            #expect(try scratch.saveSets() == (try KernelSetDatapathTests.sets([Self.a, Self.b, Self.c, d])))
            #expect(try store.inNamespace { try log.interrupted() } == nil, "the record is gone")
            // With no record left, the next one is members alone again and leaves none either.
            let e = Self.g("10.200.5.0/24")
            #expect(try natgate.enable(e).outcome == .changed)
            #expect(try scratch.saveSets() == (try KernelSetDatapathTests.sets([Self.a, Self.b, Self.c, d, e])))
            #expect(try store.inNamespace { try log.interrupted() } == nil)
        }
    }

    @Test func membersAloneLeaveOtherGatewaysMemberDriftForStatusAndApply() throws {
        let sets = MemoryIPSetStore()
        let store = MemoryRuleStore([], ipSets: sets)
        let natgate = GatewayController(store: store, logger: Self.logger)
        try natgate.apply(try GatewaySet([Self.a, Self.b]))
        // By hand: b's filter member gone.
        let filterSet = GatewayShape(filterOf: Self.b).setName
        var edited = sets.all[filterSet]!
        edited.members.remove(NetIfaceMember(network: Self.b.subnet, interface: Self.b.uplink))
        sets.replace(edited)

        let reads = sets.wholeReads
        let report = try natgate.enable(Self.c)
        #expect(sets.wholeReads == reads, "members alone")
        #expect(report.outcome == .changed && report.repaired.isEmpty)
        let status = try natgate.status()
        #expect(status.hasDrift)
        #expect(status.families[0].drift.joined().contains("holds subnet 10.200.2.0/24, which makes no whole gateway"), "\(status.families[0].drift)")
        // Enabling b itself is not "already enabled": its members are not all there, so the full
        // path states it whole again.
        #expect(try natgate.enable(Self.b).outcome == .changed)
        #expect(sets.wholeReads > reads)
        #expect(!(try natgate.status().hasDrift))
    }

    @Test func aFailedMemberChangePutsTheMembersBackAndSaysSo() throws {
        let sets = FailingSets(failing: "add natgate-f")
        let store = MemoryRuleStore([], ipSets: sets.memory)
        let natgate = GatewayController(store: store, logger: Self.logger)
        try natgate.apply(try GatewaySet([Self.a, Self.b]))
        let before = sets.memory.all
        let failing = GatewayController(store: FailingSetsStore(store: store, sets: sets), forwarding: nil, logger: Self.logger)
        let error = try #require(throws: NatgateError.self) { try failing.enable(Self.c) }
        #expect(error.message.contains("refused by the test"), "\(error.message)")
        #expect(sets.memory.all == before, "the index and nat members added before the failure are gone again")
        #expect(sets.memory.operations.suffix(4) == [
            "add natgate-s24-v4 10.200.3.0/24,subnet", "add \(GatewayShape(natOf: Self.c).setName) 10.200.3.0/24,eth1",
            "del \(GatewayShape(natOf: Self.c).setName) 10.200.3.0/24,eth1", "del natgate-s24-v4 10.200.3.0/24,subnet",
        ])
    }
}

/// A memory set store whose first operation starting with `failing` throws.
final class FailingSets: IPSetStore, @unchecked Sendable {
    let memory = MemoryIPSetStore()
    let failing: String
    init(failing: String) { self.failing = failing }

    private func check(_ operation: String) throws {
        if operation.hasPrefix(failing) { throw NatgateError(.system, "\(operation) refused by the test") }
    }

    func natgateSets() throws -> [String: IPSetContents] { try memory.natgateSets() }
    func create(_ name: String, family: Family) throws { try memory.create(name, family: family) }
    func add(_ members: [NetIfaceMember], to name: String) throws {
        try check("add \(name)")
        try memory.add(members, to: name)
    }
    func delete(_ members: [NetIfaceMember], from name: String) throws { try memory.delete(members, from: name) }
    func destroy(_ name: String) throws { try memory.destroy(name) }
    func natgateSetNames() throws -> [String] { try memory.natgateSetNames() }
    func summary(_ name: String) throws -> IPSetSummary? { try memory.summary(name) }
    func contains(_ member: NetIfaceMember, in name: String) throws -> Bool { try memory.contains(member, in: name) }
}

/// A memory rule store whose sets are `sets`.
struct FailingSetsStore: RuleStore {
    let store: MemoryRuleStore
    let sets: FailingSets
    func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table] { try store.read(family, tables: tables) }
    func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws {
        try store.update(family, tables: tables, body)
    }
    func inNamespace<T>(_ body: () throws -> T) throws -> T { try body() }
    var ipSets: (any IPSetStore)? { sets }
    var defaultForwarding: Forwarding? { nil }
}
