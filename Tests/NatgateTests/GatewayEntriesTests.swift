import NatgateKernel
import NatgateModel
import NatgatePolicy
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// `GatewayEntries` against the model path (compile each gateway into rules, encode each rule),
/// byte for byte, over random gateway sets that use every option; and reading entries back.
@Suite("Gateway entries from templates")
struct GatewayEntriesTests {
    /// The model path: what `GatewayEntries.entries(for:table:)` must equal.
    static func modelEntries(_ set: GatewaySet, family: Family, table: TableName) throws -> EntryList {
        var list = EntryList(family: family)
        for rule in GatewayCompiler().rules(for: set, family: family, table: table) {
            try list.append(encoding: rule, table: table, chain: OwnedChains.owned(in: table)!)
        }
        return list
    }

    @Test("entries equal the model path's, byte for byte", arguments: 0..<40)
    func sameAsModel(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(seed))
        let set = RandomGateways.set(count: 1 + seed % 25, using: &random)
        for family in Family.allCases {
            var entries = GatewayEntries(family: family)
            for table in [TableName.filter, .nat] {
                let model = try GatewayEntriesTests.modelEntries(set, family: family, table: table)
                let fast = try entries.entries(for: set, table: table)
                #expect(fast.count == model.count)
                for index in 0..<min(fast.count, model.count) where fast[index] != model[index] {
                    Issue.record("\(family) \(table) entry \(index) differs (seed \(seed)): \(GatewayCompiler().rules(for: set, family: family, table: table)[index])")
                }
                #expect(fast == model)
            }
            for gateway in set.gateways(of: family) {
                #expect(try !entries.isModelOnly(gateway), "template refused for \(gateway)")
            }
        }
    }

    @Test("shapes whose template is not used go through the model path, both ways", arguments: 0..<8)
    func modelOnly(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(4000 + seed))
        let set = RandomGateways.set(count: 12, using: &random)
        for family in Family.allCases {
            var entries = GatewayEntries(family: family, templates: false)
            let filter = try entries.entries(for: set, table: .filter)
            let nat = try entries.entries(for: set, table: .nat)
            #expect(filter == (try GatewayEntriesTests.modelEntries(set, family: family, table: .filter)))
            #expect(nat == (try GatewayEntriesTests.modelEntries(set, family: family, table: .nat)))
            #expect(entries.gateways(filter: filter, nat: nat) == set.gateways(of: family))
            for gateway in set.gateways(of: family) { #expect(try entries.isModelOnly(gateway)) }
            guard nat.count > 1 else { continue }
            var shorter = EntryList(family: family)
            shorter.append(contentsOf: nat, 0..<(nat.count - 1))
            if GatewayCompiler().rules(for: set, family: family, table: .nat).last?.target != .verdict(.return) {
                #expect(entries.gateways(filter: filter, nat: shorter) == nil)
            }
        }
    }

    @Test("comments are written as OwnedChains.tag prints them", arguments: [
        "::/1", "::1/128", "::1.2.3.4/128", "::ffff:0:1.2.3.4/128", "1::/16", "fe80::1:0:0:1/128",
        "fd00:0:0:1::/64", "1:0:0:2:0:0:0:3/128", "1:0:1:0:1:0:1:0/127", "abcd:ef01:2345:6789:abcd:ef01:2345:6789/128",
        "0:1::/32", "::2:0:0:0/100", "10.200.1.0/24", "0.0.0.0/1", "255.255.255.255/32", "10.0.0.0/255.0.255.0",
    ])
    func tags(subnet: String) throws {
        for uplink in ["eth0", "abcdefghijklmno", "x+"] {
            let network = try IPNetwork(subnet)
            let uplink = try InterfaceName(uplink)
            for via in [nil, "v-eth1", "abcdefghijklmn+"] {
                let plain = try Gateway(subnet: network, uplink: uplink, via: via.map { try InterfaceName($0) })
                #expect(TagWriter.tag(plain) == OwnedChains.tag(plain))
                let full = try Gateway(
                    subnet: network, uplink: uplink, via: via.map { try InterfaceName($0) }, inbound: .all,
                    exclude: [network.family == .ipv4 ? IPNetwork("192.168.0.0/16") : IPNetwork("fd99::/16")],
                    ports: PortRange(lower: 1024, upper: 65535), randomFully: true)
                #expect(TagWriter.tag(full) == OwnedChains.tag(full))
            }
        }
        var random = SeededRandom(seed: 77)
        for _ in 0..<2_000 {
            // Few, clustered non-zero groups, so that runs of zeros of every length occur.
            var groups = (0..<8).map { _ in Int.random(in: 0..<3, using: &random) == 0 ? UInt64.random(in: 0...0xFFFF, using: &random) : 0 }
            if Bool.random(using: &random) { groups[5] = 0xFFFF }
            let high = groups[0..<4].reduce(0) { $0 << 16 | $1 }
            let low = groups[4..<8].reduce(0) { $0 << 16 | $1 }
            // IPv4-mapped subnets (::ffff:0:0/96) are refused as gateways.
            if high == 0 && low >> 32 == 0xFFFF { continue }
            let network = IPNetwork.v6(IPv6Network(masking: IPv6Address(high: high, low: low), prefixLength: 128))
            let gateway = try Gateway(subnet: network, uplink: InterfaceName(valid: "eth0"))
            #expect(TagWriter.tag(gateway) == OwnedChains.tag(gateway))
        }
    }

    @Test("append adds one gateway's entries, and nothing for other tables")
    func appendOne() throws {
        let gateway = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("veth+"), ports: PortRange(lower: 1024, upper: 65535))
        var entries = GatewayEntries(family: .ipv4)
        var list = EntryList(family: .ipv4)
        try entries.append(gateway, table: .nat, to: &list)
        #expect(list == (try GatewayEntriesTests.modelEntries(GatewaySet([gateway]), family: .ipv4, table: .nat)))
        #expect(list.count == 3)
        var mangle = EntryList(family: .ipv4)
        try entries.append(gateway, table: .mangle, to: &mangle)
        #expect(mangle.isEmpty)
        var v6 = EntryList(family: .ipv6)
        #expect(throws: NatgateError.self) { try entries.append(gateway, table: .nat, to: &v6) }
    }

    @Test("reading entries back gives the gateways", arguments: 0..<40)
    func readBack(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(1000 + seed))
        let set = RandomGateways.set(count: seed % 30, using: &random)
        for family in Family.allCases {
            let filter = try GatewayEntriesTests.modelEntries(set, family: family, table: .filter)
            let nat = try GatewayEntriesTests.modelEntries(set, family: family, table: .nat)
            var fresh = GatewayEntries(family: family)
            #expect(fresh.gateways(filter: filter, nat: nat) == set.gateways(of: family), "seed \(seed)")
            // Again with the shapes learnt: the fast path.
            #expect(fresh.gateways(filter: filter, nat: nat) == set.gateways(of: family), "seed \(seed)")
        }
    }

    @Test("reading back gives nil for anything but exactly the gateways' entries", arguments: 0..<30)
    func readBackRefuses(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(2000 + seed))
        let set = RandomGateways.set(count: 2 + seed % 12, using: &random)
        for family in Family.allCases {
            let gateways = set.gateways(of: family)
            guard gateways.count >= 2 else { continue }
            let filter = try GatewayEntriesTests.modelEntries(set, family: family, table: .filter)
            let nat = try GatewayEntriesTests.modelEntries(set, family: family, table: .nat)
            var entries = GatewayEntries(family: family)
            #expect(entries.gateways(filter: filter, nat: nat) == gateways)

            func refuses(_ filter: EntryList, _ nat: EntryList, _ what: String) {
                var fresh = GatewayEntries(family: family)
                #expect(fresh.gateways(filter: filter, nat: nat) == nil, "fresh: \(what) (seed \(seed))")
                #expect(entries.gateways(filter: filter, nat: nat) == nil, "warm: \(what) (seed \(seed))")
            }
            let tables = [(filter, nat), (nat, filter)]
            for (list, other) in tables {
                let swapped = list == nat
                func pair(_ changed: EntryList) -> (EntryList, EntryList) { swapped ? (other, changed) : (changed, other) }

                // A foreign rule.
                let foreign = Rule(source: Negatable(family == .ipv4 ? try IPNetwork("192.0.2.0/24") : try IPNetwork("2001:db8::/32")), target: .accept)
                var withForeign = EntryList(family: family)
                try withForeign.append(encoding: foreign, table: swapped ? .nat : .filter, chain: OwnedChains.owned(in: swapped ? .nat : .filter)!)
                let at = Int.random(in: 0...list.count, using: &random)
                var inserted = EntryList(family: family)
                inserted.append(contentsOf: list, 0..<at)
                inserted.append(0, of: withForeign)
                inserted.append(contentsOf: list, at..<list.count)
                let (f1, n1) = pair(inserted)
                refuses(f1, n1, "foreign rule at \(at)")

                // Entries that are not exclusions: taking out an exclusion, or changing its
                // destination, leaves the rules of a gateway with other exclusions.
                let rules = GatewayCompiler().rules(for: set, family: family, table: swapped ? .nat : .filter)
                let candidates = rules.indices.filter { rules[$0].target != .verdict(.return) }

                // One byte changed: in the header, or in the comment.
                let index = candidates.randomElement(using: &random)!
                var changed = list
                let offset: Int
                if Bool.random(using: &random) {
                    offset = Int.random(in: 0..<changed.ipHeaderMatchSize, using: &random)
                } else {
                    offset = changed.payload(ofMatch: "comment", in: index)!.lowerBound - changed.starts[index] + Int.random(in: 0..<256, using: &random)
                }
                changed.withEntry(index) { $0[$0.startIndex + offset] ^= UInt8.random(in: 1...255, using: &random) }
                let (f2, n2) = pair(changed)
                refuses(f2, n2, "byte \(offset) of entry \(index) changed")

                // A missing rule.
                let missing = candidates.randomElement(using: &random)!
                var without = EntryList(family: family)
                without.append(contentsOf: list, 0..<missing)
                without.append(contentsOf: list, (missing + 1)..<list.count)
                let (f3, n3) = pair(without)
                refuses(f3, n3, "entry \(missing) missing")

                // Two neighbouring rules swapped.
                let first = Int.random(in: 0..<(list.count - 1), using: &random)
                if list[first] != list[first + 1] {
                    var reordered = EntryList(family: family)
                    reordered.append(contentsOf: list, 0..<first)
                    reordered.append(first + 1, of: list)
                    reordered.append(first, of: list)
                    reordered.append(contentsOf: list, (first + 2)..<list.count)
                    let (f4, n4) = pair(reordered)
                    refuses(f4, n4, "entries \(first) and \(first + 1) swapped")
                }
            }

            // A gateway in filter only.
            let dropped = gateways[Int.random(in: 0..<gateways.count, using: &random)]
            let fewer = try GatewaySet(gateways.filter { $0 != dropped })
            refuses(filter, try GatewayEntriesTests.modelEntries(fewer, family: family, table: .nat), "\(dropped) missing from nat")
            refuses(try GatewayEntriesTests.modelEntries(fewer, family: family, table: .filter), nat, "\(dropped) missing from filter")

            // Two whole gateways swapped in both tables: out of order.
            var swappedFilter = EntryList(family: family)
            var swappedNat = EntryList(family: family)
            for gateway in [gateways[1], gateways[0]] + gateways.dropFirst(2) {
                try entries.append(gateway, table: .filter, to: &swappedFilter)
                try entries.append(gateway, table: .nat, to: &swappedNat)
            }
            refuses(swappedFilter, swappedNat, "first two gateways swapped")

            // A gateway's rules repeated.
            var twice = filter
            twice.append(contentsOf: filter, 0..<2)
            refuses(twice, nat, "first gateway's filter rules repeated at the end")

            // Lists of the other family.
            let other: Family = family == .ipv4 ? .ipv6 : .ipv4
            #expect(entries.gateways(filter: EntryList(family: other), nat: EntryList(family: other)) == nil)
        }
    }

    @Test("reading back a comment that is not natgate's gives nil")
    func foreignComment() throws {
        let gateway = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))
        var filterRules = GatewayCompiler().rules(for: gateway, table: .filter)
        let natRules = GatewayCompiler().rules(for: gateway, table: .nat)
        for index in filterRules.indices {
            filterRules[index].matches = [Match(try CommentMatch("natgate 10.200.1.0/24 eth0 extra"))] + filterRules[index].matches.dropFirst()
        }
        var filter = EntryList(family: .ipv4)
        var nat = EntryList(family: .ipv4)
        for rule in filterRules { try filter.append(encoding: rule, table: .filter, chain: OwnedChains.forward) }
        for rule in natRules { try nat.append(encoding: rule, table: .nat, chain: OwnedChains.postrouting) }
        var entries = GatewayEntries(family: .ipv4)
        #expect(entries.gateways(filter: filter, nat: nat) == nil)
        #expect(entries.gateways(filter: EntryList(family: .ipv4), nat: EntryList(family: .ipv4)) == [])
    }

    @Test("reading back gateways that cannot be enabled together gives nil", arguments: [
        ("10.0.0.0/8", "10.1.0.0/16"), ("10.0.0.0/24", "10.0.0.0/25"), ("10.0.0.0/255.0.255.0", "10.1.0.0/16"),
        ("fd00::/8", "fd00:1::/64"), ("fd00::/64", "fd00::/127"),
    ])
    func overlapping(first: String, second: String) throws {
        let gateways = try [Gateway(subnet: IPNetwork(first), uplink: InterfaceName("eth0")), Gateway(subnet: IPNetwork(second), uplink: InterfaceName("eth1"))]
        var entries = GatewayEntries(family: gateways[0].family)
        var filter = EntryList(family: gateways[0].family)
        var nat = EntryList(family: gateways[0].family)
        for gateway in gateways {
            try entries.append(gateway, table: .filter, to: &filter)
            try entries.append(gateway, table: .nat, to: &nat)
        }
        #expect(entries.gateways(filter: filter, nat: nat) == nil)
        // Each alone reads back.
        for gateway in gateways {
            var one = EntryList(family: gateway.family)
            var oneNat = EntryList(family: gateway.family)
            try entries.append(gateway, table: .filter, to: &one)
            try entries.append(gateway, table: .nat, to: &oneNat)
            #expect(entries.gateways(filter: one, nat: oneNat) == [gateway])
        }
    }

    @Test("entry lists decode into the rules they were encoded from", arguments: 0..<10)
    func decodesRules(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(3000 + seed))
        let set = RandomGateways.set(count: 10, using: &random)
        for family in Family.allCases {
            for table in [TableName.filter, .nat] {
                let list = try GatewayEntriesTests.modelEntries(set, family: family, table: table)
                let rules = try list.rules(table: table, chain: OwnedChains.owned(in: table)!)
                #expect(rules.map(\.withoutCounters) == GatewayCompiler().rules(for: set, family: family, table: table))
            }
        }
    }

    @Test("entries the kernel hands back read back as the gateways", .enabled(if: isRoot, rootReason))
    func kernelReadBack() throws {
        try ThrowawayNamespace.with { scratch in
            for family in Family.allCases {
                let v4 = family == .ipv4
                let gateways = try [
                    Gateway(subnet: IPNetwork(v4 ? "10.200.1.0/24" : "fd00:200:1::/64"), uplink: InterfaceName("eth0")),
                    Gateway(subnet: IPNetwork(v4 ? "10.200.2.0/31" : "fd00:200:2::/127"), uplink: InterfaceName("wlan+"),
                            via: InterfaceName("veth+"), inbound: .all),
                    Gateway(subnet: IPNetwork(v4 ? "10.200.3.0/24" : "fd00:200:3::/64"), uplink: InterfaceName("eth1"),
                            via: InterfaceName("v-eth3"),
                            exclude: [IPNetwork(v4 ? "10.0.0.0/8" : "fd00::/8"), IPNetwork(v4 ? "192.168.0.0/16" : "fc00::/8")],
                            snatTo: IPAddress(v4 ? "198.51.100.1" : "2001:db8::1"), ports: PortRange(lower: 1024, upper: 65535), randomFully: true),
                    Gateway(subnet: IPNetwork(v4 ? "12.0.0.0/7" : "2200::/7"), uplink: InterfaceName("abcdefghijklmno"),
                            ports: PortRange(lower: 2000, upper: 3000)),
                ]
                let set = try GatewaySet(gateways)
                let backend = KernelBackend(family: family, namespace: scratch.namespace)
                try backend.update(tables: OwnedChains.tables) { tables in
                    for table in OwnedChains.tables { try GatewayCompiler().install(set, into: &tables[table]!) }
                }
                func entries(_ table: TableName) throws -> EntryList {
                    var list = EntryList(family: family)
                    for entry in try backend.rawEntries(table) where entry.chain == OwnedChains.owned(in: table)!.rawValue {
                        list.append(entry.bytes)
                    }
                    return list
                }
                let filter = try entries(.filter)
                let nat = try entries(.nat)
                #expect(filter.count == 11)
                // The kernel's bytes are not natgate's: it numbers verdicts and keeps its bookkeeping.
                #expect(filter != (try GatewayEntriesTests.modelEntries(set, family: family, table: .filter)))
                var fresh = GatewayEntries(family: family)
                #expect(fresh.gateways(filter: filter, nat: nat) == set.gateways, "\(family), shapes learnt from the kernel's entries")
                #expect(fresh.gateways(filter: filter, nat: nat) == set.gateways, "\(family), shapes known")
                var warm = GatewayEntries(family: family)
                _ = try warm.entries(for: set, table: .filter)
                #expect(warm.gateways(filter: filter, nat: nat) == set.gateways, "\(family), shapes learnt from writing")
            }
        }
    }
}
