import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9),
/// padding to 8 bytes included.
@Suite struct TCPMatchCodecTests {
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
}
