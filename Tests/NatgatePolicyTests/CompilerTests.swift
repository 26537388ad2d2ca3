import NatgateModel
import Testing
@testable import NatgatePolicy

@Suite struct CompilerTests {
    let compiler = GatewayCompiler()

    @Test func defaultGatewayCompilesToFourTaggedRules() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0")])
        let filter = compiler.rules(for: set, family: .ipv4, table: .filter)
        let nat = compiler.rules(for: set, family: .ipv4, table: .nat)
        #expect(filter.count == 3)
        #expect(nat.count == 1)
        for rule in filter + nat { #expect(comment(rule) == "natgate enable 10.200.1.0/24 eth0") }

        let out = filter[0]
        #expect(out.source == Negatable(try IPNetwork("10.200.1.0/24")))
        #expect(out.outInterface == Negatable(try InterfaceName("eth0")))
        #expect(out.inInterface == nil)
        #expect(out.target == .accept)

        let back = filter[1]
        #expect(back.destination == Negatable(try IPNetwork("10.200.1.0/24")))
        #expect(back.inInterface == Negatable(try InterfaceName("eth0")))
        #expect(matchNames(back) == ["comment", "conntrack"])
        #expect(back.matches[1].as(ConntrackMatch.self)?.states == Negatable(ConntrackStates([.related, .established])))
        #expect(back.target == .accept)

        // Whatever else comes in from the uplink for the subnet is dropped, unless its
        // destination was translated (a port forward on the host).
        let keepOut = filter[2]
        #expect(keepOut.destination == back.destination && keepOut.inInterface == back.inInterface)
        #expect(keepOut.outInterface == nil)
        #expect(matchNames(keepOut) == ["comment", "conntrack"])
        #expect(keepOut.matches[1].as(ConntrackMatch.self)?.states == Negatable(ConntrackStates.dnat, negated: true))
        #expect(keepOut.target == .drop)
        #expect(keepOut.saveArguments(family: .ipv4, table: .filter, chain: OwnedChains.forward)
            == #"-d 10.200.1.0/24 -i eth0 -m comment --comment "natgate enable 10.200.1.0/24 eth0" -m conntrack ! --ctstate DNAT -j DROP"#)

        #expect(nat[0].source == Negatable(try IPNetwork("10.200.1.0/24")))
        #expect(nat[0].outInterface == Negatable(try InterfaceName("eth0")))
        #expect(targetWords(nat[0]) == ["MASQUERADE"])
        #expect(compiler.rules(for: set, family: .ipv6, table: .nat).isEmpty)
        #expect(compiler.rules(for: set, family: .ipv4, table: .mangle).isEmpty)
    }

    @Test func sameGatewaysInAnyOrderCompileToIdenticalRules() throws {
        var gateways: [Gateway] = []
        for index in 0..<40 {
            gateways.append(try gateway("10.\(index % 7).\(index).0/24", "eth\(index % 3)", exclude: index % 5 == 0 ? ["192.168.0.0/16", "10.99.0.0/16"] : []))
            gateways.append(try gateway("fd00:\(index)::/64", "eth\(index % 2)", ports: index % 4 == 0 ? "1024-65535" : nil))
        }
        let reference = try GatewaySet(gateways)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10 {
            let shuffled = try GatewaySet(gateways.shuffled(using: &generator) + gateways.prefix(5))
            #expect(shuffled == reference)
            for family in Family.allCases {
                for table in [TableName.filter, .nat] {
                    #expect(compiler.rules(for: shuffled, family: family, table: table) == compiler.rules(for: reference, family: family, table: table))
                }
            }
        }
        #expect(reference.count == 80)
    }

    @Test func viaMatchesTheNamespaceSideInterfaceBothWays() throws {
        let rules = compiler.rules(for: try gateway("10.200.1.0/24", "eth0", via: "v-eth1"), table: .filter)
        #expect(rules[0].inInterface == Negatable(try InterfaceName("v-eth1")))
        #expect(rules[1].outInterface == Negatable(try InterfaceName("v-eth1")))
        #expect(rules[2].outInterface == Negatable(try InterfaceName("v-eth1")))
    }

    @Test func inboundAllDropsTheConntrackMatchAndTheDrop() throws {
        let rules = compiler.rules(for: try gateway("10.200.1.0/24", "eth0", inbound: .all), table: .filter)
        #expect(rules.count == 2)
        #expect(matchNames(rules[1]) == ["comment"])
        #expect(rules[1].target == .accept)
    }

    @Test func excludedDestinationsReturnBeforeNAT() throws {
        let rules = compiler.rules(for: try gateway("10.200.1.0/24", "eth0", exclude: ["192.168.0.0/16", "10.0.0.0/8", "10.0.0.0/8"]), table: .nat)
        #expect(rules.count == 3)
        #expect(rules[0].destination == Negatable(try IPNetwork("10.0.0.0/8")))
        #expect(rules[0].target == .return)
        #expect(rules[1].destination == Negatable(try IPNetwork("192.168.0.0/16")))
        #expect(targetWords(rules[2]) == ["MASQUERADE"])
    }

    @Test func snatReplacesMasquerade() throws {
        let v4 = compiler.rules(for: try gateway("10.200.1.0/24", "eth0", snatTo: "203.0.113.7"), table: .nat)
        #expect(v4.map { targetWords($0) } == [["SNAT", "--to-source", "203.0.113.7"]])
        let v6 = compiler.rules(for: try gateway("fd00:1::/64", "eth0", snatTo: "2001:db8::7", ports: "1024-2047"), table: .nat)
        #expect(v6.map { targetWords($0, family: .ipv6) } == [
            ["SNAT", "--to-source", "[2001:db8::7]:1024-2047"], ["SNAT", "--to-source", "[2001:db8::7]:1024-2047"], ["SNAT", "--to-source", "2001:db8::7"],
        ])
    }

    @Test func portRangeNeedsOneRuleForEachProtocolWithPortsAndOneForTheRest() throws {
        let rules = compiler.rules(for: try gateway("10.200.1.0/24", "eth0", ports: "20000-29999", randomFully: true), table: .nat)
        #expect(rules.map(\.ipProtocol) == [Negatable(IPProtocol.tcp), Negatable(IPProtocol.udp), nil])
        #expect(rules.map { targetWords($0) } == [
            ["MASQUERADE", "--to-ports", "20000-29999", "--random-fully"],
            ["MASQUERADE", "--to-ports", "20000-29999", "--random-fully"],
            ["MASQUERADE", "--random-fully"],
        ])
    }

    @Test func ipv6SubnetWithIPv4SNATAddressNamesBoth() throws {
        let error = try #require(throws: PolicyError.self) { try gateway("fd00:200:1::/64", "eth0", snatTo: "203.0.113.7") }
        #expect(error.message.contains("fd00:200:1::/64"))
        #expect(error.message.contains("203.0.113.7"))
        #expect(error.kind == .invalidGateway)
    }

    @Test func otherInvalidGateways() throws {
        #expect(throws: PolicyError.self) { try gateway("0.0.0.0/0", "eth0") }
        #expect(throws: PolicyError.self) { try gateway("10.200.1.0/24", "eth0", via: "eth0") }
        #expect(throws: PolicyError.self) { try gateway("10.200.1.0/24", "eth0", exclude: ["fd00::/8"]) }
        #expect(throws: PolicyError.self) { try gateway("10.200.1.0/24", "eth0", ports: "0-100") }
        #expect(throws: ModelError.self) { try gateway("10.200.1.5/24", "eth0") }
        #expect(throws: ModelError.self) { try gateway("10.200.1.0/24", "a-sixteen-bytes0") }
    }

    @Test func sameSubnetThroughTwoUplinksIsAConflictNamingBoth() throws {
        let error = try #require(throws: PolicyError.self) {
            try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("10.200.1.0/24", "wlan0")])
        }
        #expect(error.kind == .conflict)
        #expect(error.message.contains("eth0") && error.message.contains("wlan0") && error.message.contains("natgate disable"))
    }

    @Test func overlappingSubnetsAreAConflictNamingBoth() throws {
        let error = try #require(throws: PolicyError.self) {
            try GatewaySet([gateway("10.200.0.0/16", "eth0"), gateway("10.1.0.0/16", "eth0"), gateway("10.200.7.0/24", "eth1")])
        }
        #expect(error.message.contains("10.200.0.0/16") && error.message.contains("10.200.7.0/24"))
        #expect(!error.message.contains("10.1.0.0/16"))
        // A narrower network after a wide one that ends earlier must still be caught.
        #expect(throws: PolicyError.self) {
            try GatewaySet([gateway("10.0.0.0/8", "eth0"), gateway("10.5.0.0/16", "eth0"), gateway("10.200.1.0/24", "eth0")])
        }
        #expect(throws: PolicyError.self) { try GatewaySet([gateway("fd00::/8", "eth0"), gateway("fd00:1::/64", "eth0")]) }
        // Different families never overlap; adjacent networks do not either.
        _ = try GatewaySet([gateway("10.0.0.0/24", "eth0"), gateway("10.0.1.0/24", "eth0"), gateway("fd00::/64", "eth0")])
    }

    /// Adding a gateway that conflicts names the one already there, whichever sorts first: the
    /// message said `natgate disable` of the new gateway when it sorted before the existing one.
    @Test(arguments: [("10.200.0.0/16", "10.200.1.0/24"), ("10.200.1.0/24", "10.200.0.0/16"), ("10.200.1.0/24", "10.200.1.0/24")])
    func addingAConflictingGatewayNamesTheOneAlreadyThere(existing: String, added: String) throws {
        let set = try GatewaySet([gateway(existing, "eth1"), gateway("10.9.0.0/16", "eth0")])
        let error = try #require(throws: PolicyError.self) { try set.adding(gateway(added, "eth0")) }
        #expect(error.kind == .conflict)
        #expect(error.message.contains("`natgate disable \(existing) eth1` first"), "\(error.message)")
        #expect(error.message.contains("already"), "\(error.message)")
    }

    @Test func sameGatewayWithDifferentOptionsIsAConflict() throws {
        #expect(throws: PolicyError.self) {
            try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("10.200.1.0/24", "eth0", inbound: .all)])
        }
        #expect(try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("10.200.1.0/24", "eth0")]).count == 1)
    }

    @Test func addingReplacesTheGatewayOfTheSameKey() throws {
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0")])
        let changed = try set.adding(gateway("10.200.1.0/24", "eth0", randomFully: true))
        #expect(changed.count == 1)
        #expect(changed.gateways[0].randomFully)
        #expect(changed.removing(try gateway("10.200.1.0/24", "eth0").key).isEmpty)
    }

    @Test func tagsRoundTrip() throws {
        for text in ["10.200.1.0/24", "10.0.0.0/255.0.255.0", "fd00:200:1::/64"] {
            let key = Gateway.Key(subnet: try IPNetwork(text), uplink: try InterfaceName("veth+"))
            #expect(OwnedChains.parseTag(OwnedChains.legacyTag(key)) == .legacy(key))
            #expect(OwnedChains.key(fromTag: OwnedChains.legacyTag(key)) == key)
            let plain = try Gateway(subnet: key.subnet, uplink: key.uplink)
            #expect(OwnedChains.parseTag(OwnedChains.tag(plain)) == .gateway(plain))
            let full = try Gateway(
                subnet: key.subnet, uplink: key.uplink, via: InterfaceName("v-eth1"), inbound: .all,
                exclude: [key.subnet.family == .ipv4 ? IPNetwork("10.9.0.0/16") : IPNetwork("fd99::/16")],
                snatTo: key.subnet.family == .ipv4 ? IPAddress("192.0.2.1") : IPAddress("2001:db8::1"),
                ports: PortRange(lower: 1024, upper: 65535), randomFully: true)
            #expect(OwnedChains.parseTag(OwnedChains.tag(full)) == .gateway(full))
        }
        #expect(OwnedChains.key(fromTag: "natgate nonsense") == nil)
        #expect(OwnedChains.key(fromTag: "docker rule") == nil)
        #expect(OwnedChains.parseTag("docker rule") == nil)
    }

    @Test func aTagNatgateDoesNotWriteIsUnreadableNeverAGuess() throws {
        let key = Gateway.Key(subnet: try IPNetwork("10.200.1.0/24"), uplink: try InterfaceName("eth0"))
        #expect(OwnedChains.tag(try Gateway(subnet: key.subnet, uplink: key.uplink, via: InterfaceName("v-eth1"), inbound: .all))
            == "natgate enable 10.200.1.0/24 eth0 --via v-eth1 --inbound all")
        for edited in [
            "natgate enable 10.200.1.0/24 eth0 --inbound all --via v-eth1",  // reordered
            "natgate enable 10.200.1.0/24 eth0 --via v-eth1 --via v-eth2",  // repeated
            "natgate enable 10.200.1.0/24 eth0 --inbound established",  // a default spelt out
            "natgate enable 10.200.1.0/24 eth0 --vai v-eth1",  // misspelt
            "natgate enable 10.200.1.0/24 eth0  --via v-eth1",  // two spaces
            "natgate enable 10.200.1.0/24 eth0 --exclude",  // cut short
            "natgate 10.200.1.0/24 eth0 --via v-eth1",  // short form with options
        ] {
            #expect(OwnedChains.parseTag(edited) == .unreadable(key), "\(edited)")
        }
        #expect(OwnedChains.parseTag("natgate enable nonsense") == .unreadable(nil))
    }

    @Test func exclusionsTooManyForAFullTagAreCarriedAsACountAndDigest() throws {
        let excludes = try (0..<12).map { try IPNetwork("10.\($0 + 100).0.0/16") }
        let gateway = try Gateway(
            subnet: IPNetwork("100.200.100.200/30"), uplink: InterfaceName("abcdefghijklmn+"), via: InterfaceName("abcdefghijklmno"),
            inbound: .all, exclude: excludes, snatTo: IPAddress("100.200.100.201"),
            ports: PortRange(lower: 10000, upper: 65535), randomFully: true)
        let tag = OwnedChains.tag(gateway)
        #expect(tag.utf8.count <= 255)
        #expect(tag == "natgate enable 100.200.100.200/30 abcdefghijklmn+ --via abcdefghijklmno --inbound all --excludes "
            + OwnedChains.excludesDigest(excludes) + " --snat-to 100.200.100.201 --ports 10000-65535 --random-fully")
        guard case .compact(let key, let comment)? = OwnedChains.parseTag(tag) else {
            Issue.record("not read as a compact tag: \(tag)")
            return
        }
        #expect(key == gateway.key && comment == tag)
        // The exclusions come back only when the RETURN rules list exactly them.
        #expect(OwnedChains.gateway(tag, excluding: excludes) == gateway)
        #expect(OwnedChains.gateway(tag, excluding: Array(excludes.dropLast())) == nil)
        #expect(OwnedChains.gateway(tag, excluding: Array(excludes.dropLast()) + [try IPNetwork("10.99.0.0/16")]) == nil)
        #expect(OwnedChains.gateway(tag, excluding: excludes.reversed()) == nil)
        // A full tag that fits stays full.
        let few = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"), exclude: Array(excludes.prefix(3)))
        #expect(OwnedChains.parseTag(OwnedChains.tag(few)) == .gateway(few))
    }

    @Test func aGatewayWhoseTagDoesNotFitEvenCompactIsRefused() throws {
        let mask = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff7"  // not a prefix: printed in full
        let error = #expect(throws: PolicyError.self) {
            try Gateway(
                subnet: IPNetwork("fd00:1234:5678:9abc:def0:1234:5678:9ab0/\(mask)"), uplink: InterfaceName("abcdefghijklmn+"),
                via: InterfaceName("abcdefghijklmno"), inbound: .all, exclude: [IPNetwork("fd01:1234:5678:9abc:def0:1234:5678:9ab0/\(mask)")],
                snatTo: IPAddress("fd00:1234:5678:9abc:def0:1234:5678:9abd"), ports: PortRange(lower: 10000, upper: 65535), randomFully: true)
        }
        #expect(error?.kind == .invalidGateway)
        #expect(error?.message.contains("255") == true)
    }
}

@Suite struct TypedExtensionTests {
    @Test func theConntrackMatchIsTypedAndPrintsAsIptablesSaveDoes() throws {
        let rules = GatewayCompiler().rules(for: try gateway("10.200.1.0/24", "eth0"), table: .filter)
        let conntrack = try #require(rules[1].matches.last)
        #expect(conntrack.as(ConntrackMatch.self) != nil)
        #expect(conntrack.description == "conntrack --ctstate RELATED,ESTABLISHED")
    }
}
