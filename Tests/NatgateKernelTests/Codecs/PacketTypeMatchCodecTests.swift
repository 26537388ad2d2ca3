import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A INPUT -m …'` (ip6tables-legacy for hl), iptables 1.8.9.
@Suite struct PacketTypeMatchCodecTests {
    @Test func pktTypeMatchesIptables() throws {
        // iptables-legacy -A INPUT -m pkttype ! --pkt-type multicast
        let match = PacketTypeMatch(.multicast, negated: true)
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == payloadHex("02 00 00 00 01 00 00 00"))
        #expect(decoded.as(PacketTypeMatch.self) == match)
        #expect(PacketTypeMatch.payloadSize(for: .ipv4) == 8)
    }
}
