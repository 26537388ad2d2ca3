import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A INPUT -m …'` (ip6tables-legacy for hl), iptables 1.8.9.
@Suite struct MacMatchCodecTests {
    @Test func macMatchesIptables() throws {
        // iptables-legacy -A INPUT -m mac ! --mac-source 00:11:22:33:44:55
        let match = MacMatch(source: try MACAddress("00:11:22:33:44:55"), negated: true)
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == payloadHex("00 11 22 33 44 55 00 00 01 00 00 00"))
        #expect(decoded.as(MacMatch.self) == match)
        #expect(MacMatch.payloadSize(for: .ipv6) == 12)
    }
}
