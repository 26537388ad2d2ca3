import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c '[ip6]iptables-legacy -A INPUT -m …'` with iptables 1.8.9.
@Suite struct RecentMatchCodecTests {
    /// 200 bytes of name field: the bytes given, then zeros.
    func nameField(_ text: String) -> [UInt8] { Array(text.utf8) + Array(repeating: 0, count: 200 - text.utf8.count) }

    @Test func recentDefaultsMatchIptables() throws {
        // iptables-legacy -A INPUT -m recent --set
        let match = RecentMatch(command: .set)
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == payloadHex("00 00 00 00 00 00 00 00 02 00") + nameField("DEFAULT") + [0, 0] + Array(repeating: 0xFF, count: 16))
        #expect(decoded.as(RecentMatch.self) == match)
        #expect(decoded.as(RecentMatch.self)?.maskWritten == false)
        #expect(RecentMatch.revision(for: .ipv4) == 1 && RecentMatch.revision(for: .ipv6) == 1)
        #expect(RecentMatch.payloadSize(for: .ipv4) == 228)
    }

    @Test func recentShortNamesKeepTheTailOfDefault() throws {
        // iptables-legacy -A INPUT -m recent ! --update --seconds 60 --reap --hitcount 2 --rttl --name SSH --mask 255.255.0.0 --rdest
        let match = RecentMatch(
            command: .update, inverted: true, seconds: 60, reap: true, hitCount: 2, matchTTL: true, listName: "SSH",
            mask: .v4(try IPv4Address("255.255.0.0")), side: .destination, maskWritten: true)
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == payloadHex("3c 00 00 00 02 00 00 00 34 01") + nameField("SSH\0ULT") + [1, 0] + payloadHex("ff ff", zeros: 14))
        #expect(decoded.as(RecentMatch.self) == match)
        #expect(try roundTrip(decoded.as(RecentMatch.self)!).bytes == bytes)
    }

    @Test func recentExplicitFullMaskZeroesTheUnusedBytes() throws {
        // iptables-legacy -A INPUT -m recent --set --mask 255.255.255.255 (as iptables-save prints every recent rule)
        let match = RecentMatch(command: .set, maskWritten: true)
        let (bytes, decoded) = try roundTrip(match)
        #expect(Array(bytes[212...]) == payloadHex("ff ff ff ff", zeros: 12))
        #expect(decoded.as(RecentMatch.self)?.maskWritten == true)
    }

    @Test func recentIPv6MatchesIp6tables() throws {
        // ip6tables-legacy -A INPUT -m recent --rcheck --mask ffff:ffff:: --name v6
        let match = RecentMatch(command: .check, listName: "v6", mask: .v6(try IPv6Address("ffff:ffff::")), maskWritten: true)
        let (bytes, decoded) = try roundTrip(match, family: .ipv6)
        #expect(bytes == payloadHex("00 00 00 00 00 00 00 00 01 00") + nameField("v6\0AULT") + [0, 0] + payloadHex("ff ff ff ff", zeros: 12))
        #expect(decoded.as(RecentMatch.self) == match)
    }
}
