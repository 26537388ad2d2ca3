import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9),
/// padding to 8 bytes included.
@Suite struct ICMPMatchCodecTests {
    @Test(arguments: [
        // iptables-legacy -A INPUT -p icmp --icmp-type echo-request
        (ICMPMatch(.echoRequest), "08 00 ff 00 00 00 00 00"),
        // iptables-legacy -A INPUT -p icmp ! --icmp-type 3/1:2
        (ICMPMatch(ICMPType(type: 3, codes: 1...2), negated: true), "03 01 02 01 00 00 00 00"),
        // iptables-legacy -A INPUT -p icmp --icmp-type any
        (ICMPMatch(.any), "ff 00 ff 00 00 00 00 00"),
        // iptables-legacy -A INPUT -p icmp --icmp-type port-unreachable
        (ICMPMatch(ICMPType(type: 3, code: 3)), "03 03 03 00 00 00 00 00"),
    ])
    func icmpEncodesAsIptablesLegacy(match: ICMPMatch, hex: String) throws {
        let golden = MatchGolden.bytes(hex)
        #expect(try MatchGolden.entryPayload(match) == golden)
        #expect(try MatchGolden.decode(ICMPMatch.self, golden) == Match(match))
    }

    @Test func icmp6EncodesAsIp6tablesLegacy() throws {
        #expect(ICMPv6Match.kernelName == "icmp6")
        // ip6tables-legacy -A INPUT -p icmpv6 ! --icmpv6-type 1/3
        let golden = MatchGolden.bytes("01 03 03 01 00 00 00 00")
        let match = ICMPv6Match(ICMPType(type: 1, code: 3), negated: true)
        #expect(try MatchGolden.entryPayload(match, family: .ipv6) == golden)
        #expect(try MatchGolden.decode(ICMPv6Match.self, golden, family: .ipv6) == Match(match))
        // ip6tables-legacy -A INPUT -p icmpv6 --icmpv6-type echo-request
        #expect(try MatchGolden.entryPayload(ICMPv6Match(ICMPType(type: 128)), family: .ipv6) == MatchGolden.bytes("80 00 ff 00 00 00 00 00"))
    }
}
