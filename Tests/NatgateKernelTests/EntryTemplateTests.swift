import Foundation
import NatgateKernel
import NatgateModel
import Testing

/// `EntryTemplate`: entries encoded once for placeholders and filled with other values are the
/// entries the encoder makes for those values.
@Suite("Entry templates")
struct EntryTemplateTests {
    static let chain = try! ChainName("NATGATE-FORWARD")

    /// The encoder's entries of `lines` (save arguments with `SUBNET`, `UP`, `VIA` and `TAG` in
    /// place of the values).
    static func encoded(_ lines: [String], family: Family, subnet: String, uplink: String, via: String, tag: String) throws -> EntryList {
        var list = EntryList(family: family)
        for line in lines {
            let arguments = line.replacingOccurrences(of: "SUBNET", with: subnet).replacingOccurrences(of: "VIA", with: via)
                .replacingOccurrences(of: "UP", with: uplink).replacingOccurrences(of: "TAG", with: "\"\(tag)\"")
            try list.append(encoding: try Rule(saveArguments: arguments, family: family, table: .filter, chain: chain), table: .filter, chain: chain)
        }
        return list
    }

    static let lines = [
        "-s SUBNET -i VIA -o UP -m comment --comment TAG -j ACCEPT",
        "-d SUBNET -i UP -o VIA -m comment --comment TAG -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-s SUBNET -d 192.0.2.0/24 -m comment --comment TAG -j RETURN",
    ]

    @Test(arguments: [
        (Family.ipv4, "198.51.100.128/27", "10.200.1.0/24", "10.1.2.3/32"),
        (.ipv6, "2001:db8:ffff:fffe::/63", "fd00:200:1::/64", "2001:db8:1:2:3:4:5:0/113"),
    ])
    func filledTemplateIsTheEncodersEntries(family: Family, placeholder: String, first: String, second: String) throws {
        let lines = family == .ipv4 ? Self.lines : Self.lines.map { $0.replacingOccurrences(of: "192.0.2.0/24", with: "2001:db8:9::/48") }
        let prototype = try Self.encoded(lines, family: family, subnet: placeholder, uplink: "ngtemplateup0", via: "ngtemplatevia0", tag: "x")
        let template = try #require(EntryTemplate(prototype, placeholders: .init(
            subnet: try IPNetwork(placeholder), uplink: try InterfaceName("ngtemplateup0"), via: try InterfaceName("ngtemplatevia0"))))
        #expect(template.count == 3)

        var list = EntryList(family: family)
        var reused = template.entries
        for (subnet, uplink, via, tag) in [(first, "eth0", "v-eth1", "natgate one"), (second, "p+", "abcdefghijklmn+", String(repeating: "t", count: 255))] {
            let values = EntryTemplate.Values(subnet: try IPNetwork(subnet), uplink: EntryInterface(try InterfaceName(uplink)), via: EntryInterface(try InterfaceName(via)))
            let expected = try Self.encoded(lines, family: family, subnet: subnet, uplink: uplink, via: via, tag: tag)
            var one = EntryList(family: family)
            template.append(values, tag: Array(tag.utf8), to: &one)
            #expect(one == expected)
            template.append(values, tag: Array(tag.utf8), to: &list)
            // Filling the same copy again leaves nothing of the earlier values (a longer tag first).
            template.fill(&reused, values, tag: Array(tag.utf8))
            #expect(reused == expected)
        }
        #expect(list.count == 6)
        let values = EntryTemplate.Values(subnet: try IPNetwork(first), uplink: EntryInterface(try InterfaceName("eth0")), via: EntryInterface(try InterfaceName("v-eth1")))
        template.fill(&reused, values, tag: Array("natgate one".utf8))
        #expect(reused == (try Self.encoded(lines, family: family, subnet: first, uplink: "eth0", via: "v-eth1", tag: "natgate one")))
    }

    @Test func entriesWithoutACommentMakeNoTemplate() throws {
        var list = EntryList(family: .ipv4)
        try list.append(encoding: try Rule(saveArguments: "-s 198.51.100.128/27 -o ngtemplateup0 -j ACCEPT", family: .ipv4, table: .filter, chain: Self.chain),
                        table: .filter, chain: Self.chain)
        let placeholders = EntryTemplate.Placeholders(subnet: try IPNetwork("198.51.100.128/27"), uplink: try InterfaceName("ngtemplateup0"), via: try InterfaceName("ngtemplatevia0"))
        #expect(EntryTemplate(list, placeholders: placeholders) == nil)
        #expect(EntryTemplate(EntryList(family: .ipv4), placeholders: placeholders)?.count == 0)
    }

    @Test func interfacesAndSourcesReadBack() throws {
        let list = try Self.encoded(["-s SUBNET -i VIA -o UP -m comment --comment TAG -j ACCEPT", "-d SUBNET -o UP -m comment --comment TAG -j ACCEPT"],
                                    family: .ipv4, subnet: "10.200.1.0/24", uplink: "eth+", via: "v-eth1", tag: "t")
        #expect(list.sourceNetwork(0) == (try IPNetwork("10.200.1.0/24")))
        #expect(list.sourceNetwork(1) == nil)
        #expect(list.outInterface(0).interfaceName == (try InterfaceName("eth+")))
        #expect(list.inInterface(0).interfaceName == (try InterfaceName("v-eth1")))
        #expect(list.inInterface(0) == EntryInterface(try InterfaceName("v-eth1")))
        #expect(list.inInterface(1).isEmpty)
        #expect(list.inInterface(1).interfaceName == nil)
        // A wildcard's mask stops before the `+`: the same name without it is another field.
        #expect(EntryInterface(try InterfaceName("eth+")) != EntryInterface(try InterfaceName("eth")))
    }
}
