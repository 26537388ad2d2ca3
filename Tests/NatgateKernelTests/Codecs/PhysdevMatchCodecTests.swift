import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A CHAIN -m …'` (ip6tables-legacy for IPv6), iptables 1.8.9.
@Suite struct PhysdevMatchCodecTests {
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
