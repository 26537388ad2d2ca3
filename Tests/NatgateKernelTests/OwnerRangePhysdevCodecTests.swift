import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A CHAIN -m …'` (ip6tables-legacy for IPv6), iptables 1.8.9.
@Suite struct OwnerRangePhysdevCodecTests {
    @Test func ownerMatchesIptables() throws {
        // iptables-legacy -A OUTPUT -m owner ! --uid-owner 1000-2000 --gid-owner 5 --suppl-groups ! --socket-exists
        let match = OwnerMatch(
            socketExists: false, uid: .not(OwnerMatch.IDRange(lower: 1000, upper: 2000)), gid: Negatable(OwnerMatch.IDRange(5)),
            supplementaryGroups: true)
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == payloadHex("e8 03 00 00 d0 07 00 00 05 00 00 00 05 00 00 00 0f 05 00 00"))
        #expect(decoded.as(OwnerMatch.self) == match)
        // ip6tables-legacy -A OUTPUT -m owner --uid-owner 0
        let v6 = try roundTrip(OwnerMatch(uid: Negatable(OwnerMatch.IDRange(0))), family: .ipv6)
        #expect(v6.bytes == payloadHex("", zeros: 16) + payloadHex("01 00 00 00"))
        #expect(OwnerMatch.revision(for: .ipv4) == 1 && OwnerMatch.revision(for: .ipv6) == 1)
    }

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

    @Test func physdevMatchesIptables() throws {
        // iptables-legacy -A FORWARD -m physdev ! --physdev-is-in ! --physdev-in eth0 --physdev-out veth+ --physdev-is-out
        let match = PhysdevMatch(
            inInterface: .not(InterfaceName(valid: "eth0")), outInterface: Negatable(InterfaceName(valid: "veth+")), isIn: false, isOut: true)
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == payloadHex("65 74 68 30", zeros: 12) + payloadHex("ff ff ff ff ff", zeros: 11)
            + payloadHex("76 65 74 68 2b", zeros: 11) + payloadHex("ff ff ff ff", zeros: 12) + payloadHex("09 1b"))
        #expect(decoded.as(PhysdevMatch.self) == match)
        #expect(PhysdevMatch.payloadSize(for: .ipv4) == 66)
    }
}
