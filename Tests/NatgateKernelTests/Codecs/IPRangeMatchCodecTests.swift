import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A CHAIN -m …'` (ip6tables-legacy for IPv6), iptables 1.8.9.
@Suite struct IPRangeMatchCodecTests {
    @Test func ipRangeMatchesIptables() throws {
        // iptables-legacy -A INPUT -m iprange --dst-range 10.0.0.1-10.0.0.9 ! --src-range 192.0.2.1-192.0.2.200
        let v4 = IPRangeMatch(
            source: .not(try .init("192.0.2.1-192.0.2.200", family: .ipv4)), destination: Negatable(try .init("10.0.0.1-10.0.0.9", family: .ipv4)))
        let (bytes, decoded) = try roundTrip(v4)
        #expect(bytes == payloadHex("c0 00 02 01", zeros: 12) + payloadHex("c0 00 02 c8", zeros: 12)
            + payloadHex("0a 00 00 01", zeros: 12) + payloadHex("0a 00 00 09", zeros: 12) + payloadHex("13 00 00 00"))
        #expect(decoded.as(IPRangeMatch.self) == v4)

        // ip6tables-legacy -A INPUT -m iprange ! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4
        let v6 = IPRangeMatch(
            source: .not(try .init("2001:db8::1-2001:db8::ff", family: .ipv6)), destination: Negatable(try .init("::ffff:1.2.3.4", family: .ipv6)))
        let six = try roundTrip(v6, family: .ipv6)
        let mapped = payloadHex("00 00 00 00 00 00 00 00 00 00 ff ff 01 02 03 04")
        #expect(six.bytes == payloadHex("20 01 0d b8", zeros: 11) + [0x01] + payloadHex("20 01 0d b8", zeros: 11) + [0xff]
            + mapped + mapped + payloadHex("13 00 00 00"))
        #expect(six.decoded.as(IPRangeMatch.self) == v6)
        #expect(IPRangeMatch.revision(for: .ipv4) == 1 && IPRangeMatch.payloadSize(for: .ipv6) == 68)
    }
}
