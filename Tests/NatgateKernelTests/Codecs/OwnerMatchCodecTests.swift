import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A CHAIN -m …'` (ip6tables-legacy for IPv6), iptables 1.8.9.
@Suite struct OwnerMatchCodecTests {
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
}
