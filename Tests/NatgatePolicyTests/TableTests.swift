import NatgateModel
import Testing
@testable import NatgatePolicy

@Suite struct TableTests {
    let compiler = GatewayCompiler()

    func install(_ set: GatewaySet, _ tables: (filter: Table, nat: Table)) throws -> (filter: Table, nat: Table) {
        var (filter, nat) = tables
        try compiler.install(set, into: &filter)
        try compiler.install(set, into: &nat)
        return (filter, nat)
    }

    @Test func installAddsOnlyOwnedChainsAndOneJumpAtTheTop() throws {
        let before = try dockerLikeTables()
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("10.200.2.0/24", "eth0", via: "v-eth2")])
        let after = try install(set, before)

        let forward = try #require(after.filter.chain(named: .forward))
        #expect(forward.rules.first == Rule(target: .jump(OwnedChains.forward)))
        #expect(Array(forward.rules.dropFirst()) == before.filter.chain(named: .forward)!.rules)
        #expect(forward.policy == .drop)
        #expect(after.filter.chain(named: OwnedChains.forward)?.rules.count == 6)
        #expect(after.nat.chain(named: OwnedChains.postrouting)?.rules.count == 2)
        // Every chain that was there is there unchanged.
        for chain in before.filter.chains where chain.name != .forward { #expect(after.filter.chain(named: chain.name) == chain) }
        for chain in before.nat.chains where chain.name != .postrouting { #expect(after.nat.chain(named: chain.name) == chain) }
        // User chains stay in iptables-save order.
        #expect(after.filter == after.filter.canonicallyOrdered)
    }

    @Test func installingTheSameSetTwiceChangesNothing() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0", exclude: ["10.0.0.0/8"])])
        let once = try install(set, try dockerLikeTables())
        let twice = try install(set, once)
        #expect(once.filter == twice.filter)
        #expect(once.nat == twice.nat)
    }

    @Test func removingTheLastGatewayRestoresTheTablesExactly() throws {
        for family in Family.allCases {
            let before = try dockerLikeTables(family: family)
            let subnet = family == .ipv4 ? "10.200.1.0/24" : "fd00:200:1::/64"
            let enabled = try install(try GatewaySet([gateway(subnet, "eth0", ports: "1024-65535")]), before)
            #expect(enabled.filter != before.filter)
            let removed = try install(GatewaySet(), enabled)
            #expect(removed.filter == before.filter)
            #expect(removed.nat == before.nat)
        }
    }

    @Test func gatewaysOfTheOtherFamilyLeaveATableAlone() throws {
        let before = try dockerLikeTables(family: .ipv6)
        let after = try install(try GatewaySet([gateway("10.200.1.0/24", "eth0")]), before)
        #expect(after.filter == before.filter)
        #expect(after.nat == before.nat)
    }

    @Test func aMisplacedOrDuplicatedJumpIsMovedToTheTopOnce() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0")])
        var tables = try install(set, try dockerLikeTables())
        tables.filter[chain: .forward]?.rules.append(Rule(target: .jump(OwnedChains.forward)))
        tables.filter[chain: .forward]?.rules.removeFirst()
        #expect(compiler.read(family: .ipv4, filter: tables.filter, nat: tables.nat).drift == [.jumpNotFirst(.ipv4, .filter, OwnedChains.forward, position: 3)])
        tables.filter[chain: .forward]?.rules.insert(Rule(target: .jump(OwnedChains.forward)), at: 1)
        #expect(compiler.read(family: .ipv4, filter: tables.filter, nat: tables.nat).drift == [.duplicatedJump(.ipv4, .filter, OwnedChains.forward, count: 2)])
        let repaired = try install(set, tables)
        #expect(repaired.filter == (try install(set, try dockerLikeTables())).filter)
    }

    @Test func countersOfRulesThatStayAreKept() throws {
        var tables = try install(try GatewaySet([gateway("10.200.1.0/24", "eth0")]), try dockerLikeTables())
        tables.nat[chain: OwnedChains.postrouting]?.rules[0].counters = Counters(packets: 42, bytes: 4200)
        let more = try install(try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("10.200.2.0/24", "eth0")]), tables)
        let rules = try #require(more.nat.chain(named: OwnedChains.postrouting)?.rules)
        #expect(rules.map(\.counters) == [Counters(packets: 42, bytes: 4200), nil])
    }

    @Test func aForeignJumpIntoAnOwnedChainBlocksItsRemoval() throws {
        var tables = try install(try GatewaySet([gateway("10.200.1.0/24", "eth0")]), try dockerLikeTables())
        tables.filter[chain: try ChainName("DOCKER")]?.rules.append(Rule(target: .jump(OwnedChains.forward)))
        var filter = tables.filter
        let error = try #require(throws: PolicyError.self) { try compiler.install(GatewaySet(), into: &filter) }
        #expect(error.kind == .foreignReference)
        #expect(error.message.contains("DOCKER"))
        #expect(error.message.contains("`iptables-legacy -t filter -D DOCKER -j NATGATE-FORWARD`"))
        #expect(compiler.read(family: .ipv4, filter: tables.filter, nat: tables.nat).drift == [
            .foreignJump(.ipv4, .filter, from: try ChainName("DOCKER"), to: OwnedChains.forward, remove: "iptables-legacy -t filter -D DOCKER -j NATGATE-FORWARD")
        ])
    }
}

@Suite struct ReadbackTests {
    let compiler = GatewayCompiler()

    static let cases: [[Gateway]] = {
        do {
            return [
                [try gateway("10.200.1.0/24", "eth0")],
                [try gateway("10.200.1.0/24", "eth0", via: "v-eth1")],
                [try gateway("10.200.1.0/24", "eth0", inbound: .all)],
                [try gateway("10.200.1.0/24", "eth0", exclude: ["10.0.0.0/8", "192.168.0.0/16"])],
                [try gateway("10.200.1.0/24", "eth0", snatTo: "203.0.113.7")],
                [try gateway("10.200.1.0/24", "eth0", snatTo: "203.0.113.7", ports: "1024-65535", randomFully: true)],
                [try gateway("10.200.1.0/24", "eth0", ports: "1024-65535")],
                [try gateway("10.200.1.0/24", "eth0", randomFully: true)],
                [try gateway("fd00:200:1::/64", "eth0", via: "v-eth1", snatTo: "2001:db8::7", ports: "2000-3000")],
                [try gateway("fd00:200:1::/64", "wlan+", exclude: ["fd00::/16"], snatTo: "2001:db8::7")],
                [try gateway("10.200.1.0/24", "eth0"), try gateway("10.200.2.0/24", "eth1", via: "v-eth2", inbound: .all), try gateway("10.200.3.0/24", "eth0", exclude: ["10.0.0.0/8"])],
            ]
        } catch {
            preconditionFailure("\(error)")
        }
    }()

    @Test(arguments: cases)
    func gatewaysReadBackFromTheirRules(_ gateways: [Gateway]) throws {
        let family = gateways[0].family
        let set = try GatewaySet(gateways)
        var (filter, nat) = try dockerLikeTables(family: family)
        try compiler.install(set, into: &filter)
        try compiler.install(set, into: &nat)
        let readback = compiler.read(family: family, filter: filter, nat: nat)
        #expect(readback.gateways == set.gateways)
        #expect(readback.drift == [])
        #expect(readback.rules.count == gateways.count)
    }

    @Test func nothingOwnedReadsBackEmpty() throws {
        let (filter, nat) = try dockerLikeTables()
        let readback = compiler.read(family: .ipv4, filter: filter, nat: nat)
        #expect(readback.isEmpty)
    }

    @Test func aChangedRuleIsDrift() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0")])
        var (filter, nat) = try dockerLikeTables()
        try compiler.install(set, into: &filter)
        try compiler.install(set, into: &nat)
        nat[chain: OwnedChains.postrouting]?.rules.removeAll()
        filter[chain: OwnedChains.forward]?.rules.remove(at: 1)
        let readback = compiler.read(family: .ipv4, filter: filter, nat: nat)
        #expect(readback.gateways == set.gateways)
        #expect(readback.drift.contains { if case .chainDiffers(_, .filter, _, _, _) = $0 { true } else { false } })
        #expect(readback.drift.contains { if case .chainDiffers(_, .nat, _, _, _) = $0 { true } else { false } })
    }

    /// The inbound mode is the tag's, not whichever rule to the subnet comes first: a default
    /// gateway's DROP (which carries a conntrack match too), tagged as the `inbound all` gateway
    /// and put by hand in front of its ACCEPT, is drift, and repairing it keeps `inbound all`.
    @Test func aDropInFrontOfTheReplyRuleDoesNotChangeTheInboundMode() throws {
        let all = try gateway("10.200.1.0/24", "eth0", inbound: .all)
        let set = try GatewaySet([all])
        var (filter, nat) = try dockerLikeTables()
        try compiler.install(set, into: &filter)
        try compiler.install(set, into: &nat)
        var drop = compiler.rules(for: try gateway("10.200.1.0/24", "eth0"), table: .filter)[2]
        #expect(drop.target == .drop)
        let tag = try #require(compiler.rules(for: all, table: .filter)[0].matches.first { $0.name == "comment" })
        drop.matches = drop.matches.map { $0.name == "comment" ? tag : $0 }
        filter[chain: OwnedChains.forward]?.rules.insert(drop, at: 1)
        let readback = compiler.read(family: .ipv4, filter: filter, nat: nat)
        #expect(readback.gateways == [all])
        #expect(readback.drift.contains { if case .chainDiffers(_, .filter, _, _, _) = $0 { true } else { false } })
    }

    @Test func foreignRulesAndMissingJumpsAreDrift() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0")])
        var (filter, nat) = try dockerLikeTables()
        try compiler.install(set, into: &filter)
        try compiler.install(set, into: &nat)
        filter[chain: OwnedChains.forward]?.rules.append(Rule(target: .drop))
        nat[chain: .postrouting]?.rules.removeFirst()
        let drift = compiler.read(family: .ipv4, filter: filter, nat: nat).drift
        #expect(drift.contains(.foreignRule(.ipv4, .filter, OwnedChains.forward, rule: "-j DROP")))
        #expect(drift.contains(.missingJump(.ipv4, .nat, OwnedChains.postrouting)))
    }

    @Test func aMissingOwnedChainIsDrift() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0")])
        var (filter, nat) = try dockerLikeTables()
        try compiler.install(set, into: &filter)
        let drift = compiler.read(family: .ipv4, filter: filter, nat: nat).drift
        #expect(drift == [.missingChain(.ipv4, .nat, OwnedChains.postrouting)])
    }
}
