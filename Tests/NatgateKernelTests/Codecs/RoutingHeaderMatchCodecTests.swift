import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c '[ip6]iptables-legacy -A INPUT -m …'` with iptables 1.8.9.
@Suite struct RoutingHeaderMatchCodecTests {
    @Test func routingHeaderMatchesIp6tables() throws {
        // ip6tables-legacy -A INPUT -m rt ! --rt-type 0 --rt-segsleft 3:5 --rt-len 8
        let first = RoutingHeaderMatch(type: .not(0), segmentsLeft: Negatable(.init(lower: 3, upper: 5)), length: Negatable(8))
        let one = try roundTrip(first, family: .ipv6)
        #expect(one.bytes == payloadHex("00 00 00 00 03 00 00 00 05 00 00 00 08 00 00 00 07 01 00 00", zeros: 260))
        #expect(one.decoded.as(RoutingHeaderMatch.self) == first)

        // ip6tables-legacy -A INPUT -m rt --rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:db8::2 --rt-0-not-strict
        let second = RoutingHeaderMatch(
            type: Negatable(0), reservedZero: true, addresses: [try IPv6Address("2001:db8::1"), try IPv6Address("2001:db8::2")], notStrict: true)
        let two = try roundTrip(second, family: .ipv6)
        #expect(two.bytes == payloadHex("00 00 00 00 00 00 00 00 ff ff ff ff 00 00 00 00 39 00 00 00")
            + payloadHex("20 01 0d b8", zeros: 11) + [1] + payloadHex("20 01 0d b8", zeros: 11) + [2]
            + Array(repeating: 0, count: 14 * 16) + payloadHex("02 00 00 00"))
        #expect(two.decoded.as(RoutingHeaderMatch.self) == second)
        #expect(RoutingHeaderMatch.payloadSize(for: .ipv6) == 280)
    }
}
