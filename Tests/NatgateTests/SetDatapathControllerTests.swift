import Foundation
import Logging
import NatgateModel
import NatgatePolicy
import Testing
@testable import NatgateEngine

/// The ip set datapath over the memory stores: which table commits and which set operations each
/// change makes, in which order, and how drift in the sets is reported and repaired.
@Suite struct SetDatapathControllerTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    struct Fixture {
        let sets: MemoryIPSetStore
        let store: MemoryRuleStore
        let natgate: GatewayController

        init(_ sets: [IPSetContents] = []) {
            self.sets = MemoryIPSetStore(sets)
            store = MemoryRuleStore([], ipSets: self.sets)
            natgate = GatewayController(store: store, logger: SetDatapathControllerTests.logger)
        }

        var commits: [String] { store.commits.map { "\($0.0) \($0.1)" } }
        var natgateSets: [String: IPSetContents] { (try? sets.natgateSets()) ?? [:] }
    }

    static func full(_ subnet: String, _ uplink: String) throws -> Gateway {
        try Gateway(
            subnet: IPNetwork(subnet), uplink: InterfaceName(uplink), via: InterfaceName("v-" + subnet.split(separator: ".")[2]),
            inbound: .all, exclude: [IPNetwork("10.0.0.0/8"), IPNetwork("192.168.0.0/16")], snatTo: IPAddress("203.0.113.7"),
            ports: PortRange("1024-65535", separator: "-"), randomFully: true)
    }

    @Test func aNewShapeCreatesItsSetsCommitsNatThenFilterThenAddsTheNatMemberFirst() throws {
        let f = Fixture()
        let g = try gateway("10.200.1.0/24", "eth0")
        try f.natgate.enable(g)
        #expect(f.commits == ["ipv4 nat", "ipv4 filter"])
        let n = GatewayShape(natOf: g).setName
        let fs = GatewayShape(filterOf: g).setName
        let index = SubnetIndex.setName(prefixLength: 24, family: .ipv4)
        #expect(f.sets.operations == [
            "create \(fs)", "create \(n)", "create \(index)", "add \(index) 10.200.1.0/24,subnet", "add \(n) 10.200.1.0/24,eth0", "add \(fs) 10.200.1.0/24,eth0",
        ])
        #expect(f.store.ruleset(.ipv4).saveText().contains("-m set --match-set \(fs) src,dst -m comment --comment \"natgate shape filter ipv4\" -j ACCEPT"))
    }

    @Test func enablingAndDisablingAGatewayOfAnExistingShapeChangesMembersOnly() throws {
        let f = Fixture()
        try f.natgate.enable(try gateway("10.200.1.0/24", "eth0"))
        let commits = f.commits.count
        let operations = f.sets.operations.count
        let g = try gateway("10.200.2.0/24", "eth1")
        let report = try f.natgate.enable(g)
        #expect(report.outcome == .changed)
        #expect(f.commits.count == commits, "no table commit: \(f.commits)")
        let n = GatewayShape(natOf: g).setName
        let fs = GatewayShape(filterOf: g).setName
        let index = SubnetIndex.setName(prefixLength: 24, family: .ipv4)
        #expect(Array(f.sets.operations[operations...]) == ["add \(index) 10.200.2.0/24,subnet", "add \(n) 10.200.2.0/24,eth1", "add \(fs) 10.200.2.0/24,eth1"])
        #expect(report.plan.sets == [Plan.SetChange(family: .ipv4, lines: [
            "+add \(index) 10.200.2.0/24,subnet", "+add \(n) 10.200.2.0/24,eth1", "+add \(fs) 10.200.2.0/24,eth1",
        ])])
        #expect(report.plan.tables.isEmpty)

        let before = f.sets.operations.count
        try f.natgate.disable(g.key)
        #expect(f.commits.count == commits)
        #expect(Array(f.sets.operations[before...]) == ["del \(fs) 10.200.2.0/24,eth1", "del \(n) 10.200.2.0/24,eth1", "del \(index) 10.200.2.0/24,subnet"])
        #expect(try f.natgate.status().families[0].gateways.map(\.gateway) == [try gateway("10.200.1.0/24", "eth0")])
    }

    @Test func theLastGatewayOfAShapeTakesItsRulesThenItsSets() throws {
        let f = Fixture()
        let g = try gateway("10.200.1.0/24", "eth0", via: "v-eth1")
        try f.natgate.enable(g)
        let filter = GatewayShape(filterOf: g)
        let index = SubnetIndex.setName(prefixLength: 24, family: .ipv4)
        #expect(Set(f.natgateSets.keys) == Set(filter.setNames + [GatewayShape(natOf: g).setName, index]))
        #expect(f.natgateSets[filter.viaSetName!]?.members == [NetIfaceMember(network: try IPNetwork("10.200.1.0/24"), interface: try InterfaceName("v-eth1"))])
        let before = f.sets.operations.count
        let commits = f.commits.count
        try f.natgate.disable(g.key)
        #expect(Array(f.commits[commits...]) == ["ipv4 filter", "ipv4 nat"])
        let n = GatewayShape(natOf: g).setName
        let expected: [String] = [
            "del \(filter.setName) 10.200.1.0/24,eth0", "del \(filter.viaSetName!) 10.200.1.0/24,v-eth1",
            "destroy \(filter.setName)", "destroy \(filter.viaSetName!)", "destroy \(n)", "destroy \(index)",
        ]
        #expect(Array(f.sets.operations[before...]) == expected)
        #expect(f.natgateSets.isEmpty)
        #expect(!f.store.ruleset(.ipv4).saveText().contains("NATGATE"))
    }

    @Test func everyOptionIsReadBackFromShapesAndMembers() throws {
        let f = Fixture()
        let gateways = [
            try Self.full("10.200.1.0/24", "eth0"), try Self.full("10.200.2.0/24", "eth1"),
            try gateway("10.200.3.0/24", "eth0"), try gateway("10.200.4.0/24", "eth0", snatTo: "203.0.113.9"),
            try Gateway(subnet: IPNetwork("fd00:1::/64"), uplink: InterfaceName("eth0"), ports: PortRange("2000-3000", separator: "-")),
            // Kept per rule: a set holds no wildcard interface and no non-prefix mask.
            try gateway("10.200.5.0/24", "wlan+"),
            try Gateway(subnet: IPNetwork("10.201.0.6/255.255.0.255"), uplink: InterfaceName("eth0")),
        ]
        try f.natgate.apply(try GatewaySet(gateways))
        let status = try f.natgate.status()
        #expect(status.families.flatMap(\.gateways).map(\.gateway) == (try GatewaySet(gateways)).gateways)
        #expect(status.families.allSatisfy { $0.drift.isEmpty }, "\(status.families.map(\.drift))")
        // Applying again changes nothing.
        let commits = f.commits.count
        let operations = f.sets.operations.count
        #expect(try f.natgate.apply(try GatewaySet(gateways)).outcome == .unchanged)
        #expect(f.commits.count == commits && f.sets.operations.count == operations)
        // Two full gateways share their shapes: one filter and one nat shape, one member each.
        let shape = GatewayShape(natOf: try Self.full("10.200.1.0/24", "eth0"))
        #expect(f.natgateSets[shape.setName]?.members.count == 2)
        let text = f.store.ruleset(.ipv4).saveText()
        #expect(text.contains("-s 10.200.5.0/24 -o wlan+"))
        #expect(text.contains("natgate enable 10.201.0.6/255.255.0.255 eth0"))
    }

    @Test func flushLeavesNoNatgateSetAndNoRule() throws {
        let f = Fixture([IPSetContents(name: "docker-ext-bridges-v4", typeName: "hash:net", family: .ipv4)])
        try f.natgate.apply(try GatewaySet([try Self.full("10.200.1.0/24", "eth0"), try gateway("10.200.2.0/24", "eth0"),
            try Gateway(subnet: IPNetwork("fd00:1::/64"), uplink: InterfaceName("eth0"))]))
        #expect(f.natgateSets.count == 9, "v4: F, FV, N of the full gateway, F, N of the other, the /24 index; v6: F, N, the /64 index")
        try f.natgate.flush()
        #expect(f.natgateSets.isEmpty)
        #expect(f.sets.all.keys.sorted() == ["docker-ext-bridges-v4"], "another tool's set stays")
        for family in Family.allCases {
            #expect(!f.store.ruleset(family).saveText().contains("NATGATE"))
        }
    }

    @Test func membersEditedByHandAreDriftAndTheNextChangeRepairsThem() throws {
        let f = Fixture()
        let a = try gateway("10.200.1.0/24", "eth0")
        let b = try gateway("10.200.2.0/24", "eth0")
        try f.natgate.apply(try GatewaySet([a, b]))
        let filterSet = GatewayShape(filterOf: a).setName
        let natSet = GatewayShape(natOf: a).setName
        // By hand: a stranger member in the filter set, b's nat member gone, a set nobody needs.
        var edited = f.natgateSets[filterSet]!
        edited.members.insert(NetIfaceMember(network: try IPNetwork("10.99.0.0/16"), interface: try InterfaceName("eth9")))
        f.sets.replace(edited)
        var nat = f.natgateSets[natSet]!
        nat.members.remove(NetIfaceMember(network: b.subnet, interface: b.uplink))
        f.sets.replace(nat)
        f.sets.replace(IPSetContents(name: "natgate-stray-v4", family: .ipv4))
        let status = try f.natgate.status()
        let drift = status.families[0].drift.joined(separator: "\n")
        #expect(status.families[0].gateways.map(\.gateway) == [a], "b is no longer whole: never guessed")
        #expect(drift.contains("10.99.0.0/16"), "\(drift)")
        #expect(drift.contains("holds subnet 10.200.2.0/24, which makes no whole gateway"), "\(drift)")
        #expect(drift.contains("natgate-stray-v4"), "\(drift)")
        #expect(try f.natgate.plan(.apply(GatewaySet([a]))).sets.first?.lines.contains("-create natgate-stray-v4 hash:net,iface") == true)

        let commits = f.commits.count
        let report = try f.natgate.enable(a)
        #expect(f.commits.count == commits, "members alone")
        #expect(!report.repaired.isEmpty)
        #expect(f.natgateSets[filterSet]?.members == [NetIfaceMember(network: a.subnet, interface: a.uplink)])
        #expect(f.natgateSets["natgate-stray-v4"] != nil, "enable leaves a set it cannot attribute")
        try f.natgate.apply(try GatewaySet([a]))
        #expect(f.natgateSets["natgate-stray-v4"] == nil, "apply states every gateway")
        #expect(try f.natgate.status().families[0].drift.isEmpty)
    }

    @Test func aSetOfTheWrongTypeIsMadeAgain() throws {
        let f = Fixture()
        let a = try gateway("10.200.1.0/24", "eth0")
        let name = GatewayShape(filterOf: a).setName
        f.sets.replace(IPSetContents(name: name, typeName: "hash:net", family: .ipv4))
        #expect(try f.natgate.status().families[0].drift.contains { $0.contains("is hash:net family inet") })
        try f.natgate.enable(a)
        #expect(f.natgateSets[name] == IPSetContents(name: name, family: .ipv4, members: [NetIfaceMember(network: a.subnet, interface: a.uplink)]))
        #expect(try f.natgate.status().families[0].drift.isEmpty)
    }

    @Test func changingAGatewaysShapeMovesItsMembersAndKeepsItMasqueraded() throws {
        let f = Fixture()
        let a = try gateway("10.200.1.0/24", "eth0")
        try f.natgate.enable(a)
        let snat = try gateway("10.200.1.0/24", "eth0", snatTo: "203.0.113.5")
        let before = f.sets.operations.count
        try f.natgate.enable(snat)
        let ops = Array(f.sets.operations[before...])
        let newNat = GatewayShape(natOf: snat).setName
        let oldNat = GatewayShape(natOf: a).setName
        // The new nat member is in before the old one goes, and the old set goes last.
        #expect(ops.firstIndex(of: "add \(newNat) 10.200.1.0/24,eth0")! < ops.firstIndex(of: "del \(oldNat) 10.200.1.0/24,eth0") ?? ops.firstIndex(of: "destroy \(oldNat)")!)
        #expect(ops.last == "destroy \(oldNat)")
        #expect(try f.natgate.status().families[0].gateways.map(\.gateway) == [snat])
    }
}
