import Foundation
import Logging
import NatgateModel
import NatgatePolicy
import Testing
@testable import NatgateEngine

/// `status` of gateways kept in ip sets: what it reports must not depend on the shortcuts it takes
/// (the sets listed once for both families, each shape's rules and counters taken once for all its
/// members, a set found equal to what the gateways need by lookups alone). Each test makes the
/// sets or rules differ in one way and checks that status says so, or checks status against the
/// plain reading of every gateway's rules.
@Suite struct StatusSetsTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    struct Fixture {
        let sets = MemoryIPSetStore()
        let store: MemoryRuleStore
        let natgate: GatewayController

        init(_ gateways: [Gateway]) throws {
            store = MemoryRuleStore([], ipSets: sets)
            natgate = GatewayController(store: store, logger: StatusSetsTests.logger)
            _ = try natgate.apply(try GatewaySet(gateways))
        }

        /// Changes set `name` as a person with `ipset` could.
        func edit(_ name: String, _ change: (inout Set<NetIfaceMember>) -> Void) throws {
            var set = try #require(try sets.natgateSets()[name], "no set \(name)")
            change(&set.members)
            sets.replace(set)
        }

        var drift: [String] { get throws { try natgate.status().families.flatMap(\.drift) } }
    }

    static func gateway(_ subnet: String, _ uplink: String = "eth0") throws -> Gateway {
        try Gateway(subnet: IPNetwork(subnet), uplink: InterfaceName(uplink))
    }

    static func member(_ subnet: String, _ interface: String) throws -> NetIfaceMember {
        NetIfaceMember(network: try IPNetwork(subnet), interface: try InterfaceName(interface))
    }

    /// Gateways of several shapes in both families, and one whose wildcard uplink keeps rules of
    /// its own.
    static func mixed() throws -> [Gateway] {
        var gateways = try (0..<20).map { try gateway("10.1.\($0).0/24") }
        gateways += try (0..<3).map { try Gateway(subnet: IPNetwork("10.2.\($0).0/24"), uplink: InterfaceName("eth1"), via: InterfaceName("v-\($0)")) }
        gateways += try (0..<3).map {
            try Gateway(subnet: IPNetwork("10.3.\($0).0/24"), uplink: InterfaceName("eth2"), inbound: .all, exclude: [IPNetwork("192.168.0.0/16")])
        }
        gateways += try (0..<3).map {
            try Gateway(
                subnet: IPNetwork("10.4.\($0).0/24"), uplink: InterfaceName("eth3"), snatTo: IPAddress("192.0.2.1"),
                ports: PortRange("1024-2047", separator: "-"), randomFully: true)
        }
        gateways.append(try gateway("10.5.0.0/24", "veth+"))
        gateways += try (0..<3).map { try gateway("fd00:\($0)::/64") }
        return gateways
    }

    @Test func eachGatewaysRulesAndCountersAreThoseItsOwnReadingGives() throws {
        let f = try Fixture(try Self.mixed())
        // Counters on every nat rule, different per rule, so that a gateway given another shape's
        // rules (or another gateway's) would show other numbers.
        var number: UInt64 = 1
        for family in Family.allCases {
            try f.store.update(family, tables: [.nat]) { tables in
                var table = tables[.nat]!
                for c in table.chains.indices where table.chains[c].name == OwnedChains.postrouting {
                    for r in table.chains[c].rules.indices {
                        table.chains[c].rules[r].counters = Counters(packets: number, bytes: 100 * number)
                        number += 1
                    }
                }
                tables[.nat] = table
            }
        }
        let status = try f.natgate.status()
        #expect(!status.hasDrift, "\(status.families.flatMap(\.drift))")
        let compiler = GatewayCompiler(datapath: .ipSets)
        for family in Family.allCases {
            let tables = try f.store.read(family, tables: OwnedChains.tables)
            let sets = try f.sets.natgateSets().filter { (GatewayShape.family(ofSet: $0.key) ?? .ipv4) == family }
            let readback = compiler.read(family: family, filter: tables[.filter], nat: tables[.nat], sets: sets)
            let reported = try #require(status.families.first { $0.family == family })
            #expect(reported.gateways.map(\.gateway) == readback.gateways)
            for (gateway, shown) in zip(readback.gateways, reported.gateways) {
                let rules = readback.rules(of: gateway)
                let natRules = (rules[.nat] ?? []).filter { if case .extension = $0.target { true } else { false } }
                #expect(shown.natPackets == natRules.compactMap(\.counters?.packets).reduce(0, +), "\(gateway)")
                #expect(shown.natBytes == natRules.compactMap(\.counters?.bytes).reduce(0, +), "\(gateway)")
                let expected = OwnedChains.tables.reversed().compactMap { name -> Status.TableRules? in
                    guard let rules = rules[name], !rules.isEmpty else { return nil }
                    return Status.TableRules(table: name, rules: rules.map {
                        Status.RuleStatus(counters: $0.counters, line: $0.withoutCounters.saveLine(family: family, table: name, chain: OwnedChains.owned(in: name)!))
                    })
                }
                #expect(shown.rules == expected, "\(gateway)")
            }
        }
        // The gateways of one shape share its counters; the gateways of two shapes do not.
        let ipv4 = status.families[0].gateways
        let plain = ipv4.filter { $0.gateway.uplink.rawValue == "eth0" }.map(\.natPackets)
        #expect(Set(plain).count == 1 && plain[0] > 0)
        #expect(Set(ipv4.map(\.natPackets)).count >= 4)
        // Without rules, the same gateways and counters.
        let compact = try f.natgate.status(rules: false)
        #expect(compact.families.map { $0.gateways.map(\.natPackets) } == status.families.map { $0.gateways.map(\.natPackets) })
        #expect(compact.text(verbose: false) == status.text(verbose: false))
    }

    @Test func aMemberSwappedForAnotherOfTheSameCountIsDrift() throws {
        let a = try Self.gateway("10.200.1.0/24")
        let b = try Self.gateway("10.200.2.0/24")
        let f = try Fixture([a, b])
        #expect(try f.drift.isEmpty)
        // The subnet index no rule uses: one member gone and a stranger in its place leaves the
        // count as it was, and the gateways as they were.
        let index = SubnetIndex.setName(prefixLength: 24, family: .ipv4)
        try f.edit(index) { members in
            members.remove(SubnetIndex.member(b.subnet))
            members.insert(SubnetIndex.member(try! IPNetwork("10.99.0.0/24")))
        }
        #expect(try f.natgate.status().families[0].gateways.map(\.gateway) == [a, b])
        #expect(try f.drift == ["ipv4: ip set \(index) holds 1 member no gateway has (10.99.0.0/24,subnet) and lacks 1 (10.200.2.0/24,subnet): the next change sets its members."])
    }

    @Test func aRemovedMemberIsDrift() throws {
        let a = try Self.gateway("10.200.1.0/24")
        let b = try Self.gateway("10.200.2.0/24")
        let f = try Fixture([a, b])
        let index = SubnetIndex.setName(prefixLength: 24, family: .ipv4)
        try f.edit(index) { $0.remove(SubnetIndex.member(a.subnet)) }
        #expect(try f.drift == ["ipv4: ip set \(index) lacks 1 (10.200.1.0/24,subnet): the next change sets its members."])

        let g = try Fixture([a, b])
        try g.edit(GatewayShape(filterOf: a).setName) { $0.remove(NetIfaceMember(network: a.subnet, interface: a.uplink)) }
        let status = try g.natgate.status()
        #expect(status.families[0].gateways.map(\.gateway) == [b])
        #expect(status.families[0].drift.contains { $0.contains("holds subnet 10.200.1.0/24, which makes no whole gateway") && $0.contains("of no filter set") })
    }

    @Test func anExtraMemberIsDrift() throws {
        let a = try Self.gateway("10.200.1.0/24")
        let f = try Fixture([a])
        let nat = GatewayShape(natOf: a).setName
        // Another uplink for a's subnet: the sets disagree on a.
        try f.edit(nat) { $0.insert(try! Self.member("10.200.1.0/24", "eth9")) }
        var status = try f.natgate.status()
        #expect(status.families[0].gateways.isEmpty)
        #expect(status.families[0].drift.contains { $0.contains("holds subnet 10.200.1.0/24") && $0.contains("several sets that disagree") })

        // A stranger subnet in the index alone.
        let g = try Fixture([a])
        let index = SubnetIndex.setName(prefixLength: 24, family: .ipv4)
        try g.edit(index) { $0.insert(SubnetIndex.member(try! IPNetwork("10.99.0.0/24"))) }
        status = try g.natgate.status()
        #expect(status.families[0].gateways.map(\.gateway) == [a])
        #expect(status.families[0].drift == ["ipv4: ip set \(index) holds 1 member no gateway has (10.99.0.0/24,subnet): the next change sets its members."])
    }

    @Test func aChangedShapeRuleIsDrift() throws {
        let a = try Self.gateway("10.200.1.0/24")
        let f = try Fixture([a])
        try f.store.update(.ipv4, tables: [.filter]) { tables in
            var table = tables[.filter]!
            let c = table.chains.firstIndex { $0.name == OwnedChains.forward }!
            table.chains[c].rules[0].target = .drop
            tables[.filter] = table
        }
        let status = try f.natgate.status()
        #expect(status.families[0].gateways.map(\.gateway) == [a], "the shape comment still names the shape")
        #expect(status.families[0].drift == ["ipv4 filter: NATGATE-FORWARD holds 3 rules where its gateways compile to 3 that differ."])
    }

    @Test func theSetsAreListedOnceForBothFamilies() throws {
        let f = try Fixture(try Self.mixed())
        let before = f.sets.wholeReads
        let status = try f.natgate.status()
        #expect(f.sets.wholeReads == before + 1)
        #expect(status.families.map { $0.gateways.count } == [30, 3])
    }
}
