import Foundation
import NatgateKernel
import NatgateModel
import NatgatePolicy
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

// Repair restores only what the kernel still states exactly: every rule carries its whole gateway
// in its comment; rules that do not determine a gateway are left as they are, with a message that
// says `natgate apply` is needed; a foreign jump into an owned chain is named with the command that
// removes it; and repairs are reported as repairs.

@Suite struct NeverGuessTests {
    let compiler = GatewayCompiler()

    @Test func aFlushedFilterChainComesBackWithViaAndInboundAll() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        let b = try gateway("10.200.2.0/24", "eth0")
        try natgate.enable(a)
        try editOwned(store, .filter) { $0 = [] }
        let report = try natgate.enable(b)
        #expect(ownedRules(store, .filter) == compiler.rules(for: try GatewaySet([a, b]), family: .ipv4, table: .filter))
        #expect(ownedRules(store, .nat) == compiler.rules(for: try GatewaySet([a, b]), family: .ipv4, table: .nat))
        #expect(try natgate.status().families[0].gateways.map(\.gateway) == [a, b])
        #expect(!(try natgate.status().hasDrift))
        #expect(report.message.hasPrefix("Enabled gateway 10.200.2.0/24 eth0."), "\(report.message)")
        #expect(report.message.contains("repaired"), "\(report.message)")
        #expect(report.message.contains("NATGATE-FORWARD"), "\(report.message)")
    }

    @Test func aRepairAloneIsReportedAsARepairNotAsNothingChanged() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        try natgate.enable(a)
        try editOwned(store, .filter) { $0.removeLast() }
        let enable = try natgate.enable(a)
        #expect(enable.outcome == .changed)
        #expect(enable.message.hasPrefix("Gateway 10.200.1.0/24 eth0 is already enabled as asked; repaired"), "\(enable.message)")

        try editOwned(store, .nat) { $0 = [] }
        let apply = try natgate.apply(try GatewaySet([a]))
        #expect(!apply.message.contains("no gateway changed"), "\(apply.message)")
        #expect(!apply.message.contains("nothing changed"), "\(apply.message)")
        #expect(apply.message.contains("repaired") && apply.message.contains("NATGATE-POSTROUTING"), "\(apply.message)")

        // A jump pushed down by another tool is put back on top, and said so.
        try store.update(.ipv4, tables: [.filter]) { tables in
            tables[.filter]![chain: .forward]!.rules.insert(Rule(target: .accept), at: 0)
        }
        let moved = try natgate.disable(try gateway("10.200.9.0/24", "eth0").key)
        #expect(moved.outcome == .absent)
        #expect(moved.message.contains("repaired") && moved.message.contains("not the first"), "\(moved.message)")
        #expect(store.ruleset(.ipv4).tables.first { $0.name == .filter }?.chain(named: .forward)?.rules.first?.target == .jump(OwnedChains.forward))
        #expect(!(try natgate.status().hasDrift))
    }

    @Test func anEditedTagLeavesItsGatewayAsItIsAndAsksForApply() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        let b = try gateway("10.200.2.0/24", "eth0")
        let c = try gateway("10.200.3.0/24", "eth0")
        try natgate.enable(a)
        try natgate.enable(c)
        try editOwned(store, .filter) { rules in
            rules[0] = try retagged([rules[0]]) { commentOf($0)! + " --random-fully" }[0]
        }
        let filterBefore = ownedRules(store, .filter)
        let natBefore = ownedRules(store, .nat)
        let report = try natgate.enable(b)
        #expect(report.message.contains("natgate apply"), "\(report.message)")
        #expect(report.message.contains("10.200.1.0/24 eth0"), "\(report.message)")
        // a's rules stay exactly where they were; b comes between a and c.
        let bFilter = compiler.rules(for: b, table: .filter)
        let bNat = compiler.rules(for: b, table: .nat)
        let cFilter = compiler.rules(for: c, table: .filter)
        #expect(ownedRules(store, .filter) == Array(filterBefore.prefix(2)) + bFilter + Array(filterBefore.suffix(cFilter.count)))
        #expect(ownedRules(store, .nat) == Array(natBefore.prefix(1)) + bNat + Array(natBefore.suffix(1)))
        let status = try natgate.status()
        #expect(status.families[0].gateways.map(\.gateway) == [b, c])
        #expect(status.families[0].drift.contains { $0.contains("10.200.1.0/24 eth0") && $0.contains("natgate apply") }, "\(status)")
        // Disabling another gateway leaves them too; apply of the policy sets them.
        #expect(try natgate.disable(c.key).message.contains("natgate apply"))
        #expect(ownedRules(store, .filter).prefix(2) == filterBefore.prefix(2))
        try natgate.apply(try GatewaySet([a, b, c]))
        #expect(ownedRules(store, .filter) == compiler.rules(for: try GatewaySet([a, b, c]), family: .ipv4, table: .filter))
        #expect(!(try natgate.status().hasDrift))
    }

    @Test func tagsOfOneGatewayThatDisagreeAcrossTablesDetermineNothing() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        try natgate.enable(a)
        // The nat rule now says another gateway of the same subnet and uplink.
        let other = try Gateway(subnet: a.subnet, uplink: a.uplink, via: a.via)
        try editOwned(store, .nat) { $0 = compiler.rules(for: other, table: .nat) }
        let before = store.ruleset(.ipv4)
        let report = try natgate.enable(try gateway("10.200.2.0/24", "eth0"))
        #expect(report.message.contains("natgate apply"), "\(report.message)")
        let after = store.ruleset(.ipv4)
        for table in [TableName.filter, .nat] {
            let chain = OwnedChains.owned(in: table)!
            let old = before.tables.first { $0.name == table }!.chain(named: chain)!.rules
            #expect(Array(after.tables.first { $0.name == table }!.chain(named: chain)!.rules.prefix(old.count)) == old)
        }
    }

    @Test func shortTagsOfAnEarlierNatgateAreReadAndUpgraded() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        let d = try gateway("10.200.4.0/24", "eth0", via: "v-eth4")
        try natgate.enable(a)
        try natgate.enable(d)
        for table in [TableName.filter, .nat] {
            // What an earlier natgate wrote: the short tag, and no DROP of new inbound connections.
            try editOwned(store, table) { rules in
                rules = try retagged(rules.filter { $0.target != .drop }) { rule in "natgate \(rule.source?.value ?? rule.destination!.value) eth0" }
            }
        }
        #expect(try natgate.status().families[0].gateways.map(\.gateway) == [a, d])
        let b = try gateway("10.200.2.0/24", "eth0")
        try natgate.enable(b)
        let set = try GatewaySet([a, b, d])
        #expect(ownedRules(store, .filter) == compiler.rules(for: set, family: .ipv4, table: .filter))
        #expect(ownedRules(store, .nat) == compiler.rules(for: set, family: .ipv4, table: .nat))
        #expect(ownedRules(store, .filter).allSatisfy { commentOf($0)?.hasPrefix("natgate enable ") == true })
        #expect(!(try natgate.status().hasDrift))
    }

    @Test func aShortTagLeftInOneTableOnlyIsLeftAsItIsAndAsksForApply() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        try natgate.enable(a)
        try editOwned(store, .nat) { rules in rules = try retagged(rules) { _ in "natgate 10.200.1.0/24 eth0" } }
        try editOwned(store, .filter) { $0 = [] }
        let natBefore = ownedRules(store, .nat)
        let b = try gateway("10.200.2.0/24", "eth0")
        let report = try natgate.enable(b)
        #expect(report.message.contains("natgate apply"), "\(report.message)")
        #expect(ownedRules(store, .nat) == natBefore + compiler.rules(for: b, table: .nat))
        #expect(ownedRules(store, .filter) == compiler.rules(for: b, table: .filter))
        #expect(try natgate.status().families[0].drift.contains { $0.contains("earlier natgate") && $0.contains("natgate apply") })
        // The user's own statement of the gateway settles it.
        try natgate.enable(a)
        #expect(ownedRules(store, .filter) == compiler.rules(for: try GatewaySet([a, b]), family: .ipv4, table: .filter))
        #expect(ownedRules(store, .nat) == compiler.rules(for: try GatewaySet([a, b]), family: .ipv4, table: .nat))
        #expect(!(try natgate.status().hasDrift))
    }

    @Test func aGatewayWithATagTooLongForAllItsExclusionsIsRestoredFromItsReturnRules() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try Gateway(
            subnet: IPNetwork("fd00:200:1::/64"), uplink: InterfaceName("eth0"), via: InterfaceName("v-eth1"), inbound: .all,
            exclude: (1...8).map { try IPNetwork("fd00:\($0):ffff:ffff::/64") })
        #expect(OwnedChains.tag(a).contains("--excludes 8:"))
        try natgate.enable(a)
        let ipv6 = { (table: TableName) in
            store.ruleset(.ipv6).tables.first { $0.name == table }?.chain(named: OwnedChains.owned(in: table)!)?.rules.map(\.withoutCounters) ?? []
        }
        #expect(ipv6(.filter) == compiler.rules(for: a, table: .filter))
        try store.update(.ipv6, tables: [.filter]) { $0[.filter]![chain: OwnedChains.forward]!.rules = [] }
        try natgate.enable(try Gateway(subnet: IPNetwork("fd00:200:2::/64"), uplink: InterfaceName("eth0")))
        #expect(Array(ipv6(.filter).prefix(2)) == compiler.rules(for: a, table: .filter))
        // Without its RETURN rules the count and digest say nothing: left as it is.
        try store.update(.ipv6, tables: [.filter, .nat]) { tables in
            tables[.filter]![chain: OwnedChains.forward]!.rules.removeAll { $0.destination?.value == a.subnet || $0.source?.value == a.subnet }
            tables[.nat]![chain: OwnedChains.postrouting]!.rules.removeAll { $0.target == .return }
        }
        let natBefore = ipv6(.nat)
        let report = try natgate.enable(try Gateway(subnet: IPNetwork("fd00:200:3::/64"), uplink: InterfaceName("eth0")))
        #expect(report.message.contains("natgate apply"), "\(report.message)")
        #expect(Array(ipv6(.nat).prefix(1)) == Array(natBefore.prefix(1)))
        #expect(!ipv6(.filter).contains { $0.source?.value == a.subnet })
    }

    @Test func aForeignJumpIsNamedWithItsCommandAndBlocksFlushWithoutChangingAnything() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let a = try wideGateway()
        try natgate.enable(a)
        try store.update(.ipv4, tables: [.filter]) { tables in
            tables[.filter]![chain: .input]!.rules.append(Rule(target: .jump(OwnedChains.forward)))
        }
        let command = "iptables-legacy -t filter -D INPUT -j NATGATE-FORWARD"
        let status = try natgate.status()
        #expect(status.families[0].drift.contains { $0.contains(command) && $0.contains("does not own") }, "\(status)")
        let enable = try natgate.enable(try gateway("10.200.2.0/24", "eth0"))
        #expect(enable.message.contains(command), "\(enable.message)")
        #expect(!enable.message.contains("Also repaired"), "\(enable.message)")
        let before = store.ruleset(.ipv4)
        let commits = store.commits.count
        let flush = try #require(throws: NatgateError.self) { try natgate.flush() }
        #expect(flush.message.contains(command), "\(flush.message)")
        #expect(store.ruleset(.ipv4) == before)
        #expect(store.commits.count == commits)
        try natgate.disable(a.key)
        let afterOne = store.ruleset(.ipv4)
        let last = try #require(throws: NatgateError.self) { try natgate.disable(try gateway("10.200.2.0/24", "eth0").key) }
        #expect(last.message.contains(command), "\(last.message)")
        #expect(store.ruleset(.ipv4) == afterOne)
    }
}

/// The same in throwaway namespaces, through the kernel (the binary's side: NatgateCLITests/NeverGuessCLITests).
@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct KernelNeverGuessTests {
    let compiler = GatewayCompiler()

    /// natgate's chain in `table` as the kernel holds it.
    func owned(_ scratch: Scratch, _ table: TableName) throws -> [Rule] {
        try tables(try scratch.save(), .ipv4)[table]?.chain(named: OwnedChains.owned(in: table)!)?.rules.map(\.withoutCounters) ?? []
    }

    /// Per-gateway rules (a store without ip sets): the nat rules' tags say the whole gateway.
    @Test(arguments: Backend.allCases)
    func aFilterChainFlushedByHandComesBackExactlyAtTheNextEnable(_ backend: Backend) throws {
        try Scratch.with(backend: backend) { scratch in
            let natgate = scratch.perRuleController
            let a = try wideGateway()
            try natgate.enable(a)
            try scratch.namespace.shell("\(scratch.iptables) -t filter -F NATGATE-FORWARD")
            let result = try natgate.enable(try gateway("10.200.2.0/24", "eth0"))
            #expect(result.message.contains("repaired") && result.message.contains("NATGATE-FORWARD"), "\(result.message)")
            let set = try GatewaySet([a, try gateway("10.200.2.0/24", "eth0")])
            #expect(try owned(scratch, .filter) == compiler.rules(for: set, family: .ipv4, table: .filter))
            #expect(try owned(scratch, .nat) == compiler.rules(for: set, family: .ipv4, table: .nat))
            #expect(!(try natgate.status().hasDrift))
        }
    }

    /// Per-gateway rules (a store without ip sets): an edited tag determines no gateway.
    @Test(arguments: Backend.allCases)
    func anEditedTagIsLeftAsItIsAndEnableSaysToApplyThePolicy(_ backend: Backend) throws {
        try Scratch.with(backend: backend) { scratch in
            let natgate = scratch.perRuleController
            let a = try wideGateway()
            try natgate.enable(a)
            let comment = try #require(commentOf(try owned(scratch, .filter)[0]))
            let saved = try scratch.save()
            let first = try #require(saved.range(of: "\"\(comment)\""))
            try scratch.load(saved.replacingCharacters(in: first, with: "\"\(comment) --random-fully\""))
            let edited = try owned(scratch, .filter)
            #expect(commentOf(edited[0]) == comment + " --random-fully")
            let natBefore = try owned(scratch, .nat)
            let status = try natgate.status()
            #expect(status.hasDrift)
            #expect(status.families[0].drift.joined().contains("natgate apply"), "\(status.families[0].drift)")
            let result = try natgate.enable(try gateway("10.200.2.0/24", "eth0"))
            #expect(result.message.contains("natgate apply"), "\(result.message)")
            #expect(Array(try owned(scratch, .filter).prefix(2)) == edited)
            #expect(Array(try owned(scratch, .nat).prefix(1)) == natBefore)
        }
    }

    @Test(arguments: Backend.allCases)
    func shortTagsOfAnEarlierNatgateAreReadAndRewritten(_ backend: Backend) throws {
        let golden = try String(contentsOf: Paths.policies.appendingPathComponent("per-rule/via.rules"), encoding: .utf8)
        // What an earlier natgate wrote: the short tag, and no DROP of new inbound connections.
        let dropLine = try #require(golden.split(separator: "\n").first { $0.hasSuffix("! --ctstate DNAT -j DROP") }.map(String.init))
        let old = golden.replacingOccurrences(of: dropLine + "\n", with: "")
            .replacingOccurrences(of: "natgate enable 10.200.1.0/24 eth0 --via v-eth1", with: "natgate 10.200.1.0/24 eth0")
        try #require(old != golden)
        try Scratch.with(backend: backend) { scratch in
            try scratch.load(old)
            let natgate = scratch.perRuleController
            let via = try gateway("10.200.1.0/24", "eth0", via: "v-eth1")
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == [via])
            try natgate.enable(try gateway("10.200.2.0/24", "eth0"))
            let saved = try scratch.save()
            #expect(!saved.contains("\"natgate 10.200.1.0/24 eth0\""))
            // Three filter rules (out, replies, the DROP) and the MASQUERADE carry the whole tag.
            #expect(saved.components(separatedBy: "\"natgate enable 10.200.1.0/24 eth0 --via v-eth1\"").count == 5)
            #expect(!(try natgate.status().hasDrift))
        }
    }
}
