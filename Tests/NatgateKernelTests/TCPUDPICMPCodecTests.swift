import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9),
/// padding to 8 bytes included.
@Suite struct TCPUDPICMPCodecTests {
    @Test func tcpEncodesAsIptablesLegacy() throws {
        // iptables-legacy -A INPUT -p tcp --sport 1024:65535 ! --dport 22 --tcp-option 5 ! --tcp-flags SYN,ACK SYN
        let golden = MatchGolden.bytes("00 04 ff ff 16 00 16 00 05 12 02 06 00 00 00 00")
        let match = TCPMatch(
            sourcePort: Negatable(try PortRange(lower: 1024, upper: 65535)), destinationPort: .not(PortRange(22)),
            flags: .not(TCPFlagTest(mask: [.syn, .ack], comparison: .syn)), option: Negatable(5))
        #expect(try MatchGolden.entryPayload(match) == golden)
        #expect(try MatchGolden.decode(TCPMatch.self, golden) == Match(match))

        // iptables-legacy -A INPUT -p tcp --syn
        let syn = MatchGolden.bytes("00 00 ff ff 00 00 ff ff 00 17 02 00 00 00 00 00")
        #expect(try MatchGolden.entryPayload(TCPMatch(flags: Negatable(.syn))) == syn)
        #expect(try MatchGolden.decode(TCPMatch.self, syn) == Match(TCPMatch(flags: Negatable(.syn))))
    }

    @Test func tcpKeepsANegatedFullRangeThatSavePrintsNothingFor() throws {
        // iptables-legacy -A INPUT -p tcp ! --sport 0:65535: saved as `-p tcp -m tcp`, but the kernel
        // holds the inversion bit; natgate decodes and re-encodes it byte for byte.
        let golden = MatchGolden.bytes("00 00 ff ff 00 00 ff ff 00 00 00 01 00 00 00 00")
        let decoded = try MatchGolden.decode(TCPMatch.self, golden)
        let tcp = try #require(decoded.as(TCPMatch.self))
        #expect(try MatchGolden.entryPayload(tcp) == golden)
        #expect(tcp.description == "tcp")
    }

    @Test func udpEncodesAsIptablesLegacy() throws {
        // iptables-legacy -A INPUT -p udp ! --sport 53 --dport 1000:2000
        let golden = MatchGolden.bytes("35 00 35 00 e8 03 d0 07 01 00 00 00 00 00 00 00")
        let match = UDPMatch(sourcePort: .not(PortRange(53)), destinationPort: Negatable(try PortRange(lower: 1000, upper: 2000)))
        #expect(try MatchGolden.entryPayload(match) == golden)
        #expect(try MatchGolden.decode(UDPMatch.self, golden) == Match(match))
        // iptables-legacy -A INPUT -p udp --dport 53
        let dns = MatchGolden.bytes("00 00 ff ff 35 00 35 00 00 00 00 00 00 00 00 00")
        #expect(try MatchGolden.entryPayload(UDPMatch(destinationPort: Negatable(PortRange(53)))) == dns)
    }

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
