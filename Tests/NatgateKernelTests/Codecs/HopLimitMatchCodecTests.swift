import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (bytes after the 32-byte match header) after
/// `unshare --net sh -c 'iptables-legacy -A INPUT -m …'` (ip6tables-legacy for hl), iptables 1.8.9.
@Suite struct HopLimitMatchCodecTests {
    @Test(arguments: [
        // iptables-legacy -A INPUT -m ttl ! --ttl-eq 5
        (HopCountCondition.notEqual(5), payloadHex("01 05")),
        // iptables-legacy -A INPUT -m ttl --ttl-gt 9
        (HopCountCondition.greaterThan(9), payloadHex("03 09")),
    ])
    func ttlMatchesIptables(condition: HopCountCondition, expected: [UInt8]) throws {
        let (bytes, decoded) = try roundTrip(TTLMatch(condition))
        #expect(bytes == expected)
        #expect(decoded.as(TTLMatch.self) == TTLMatch(condition))
    }

    @Test func hopLimitMatchesIp6tables() throws {
        // ip6tables-legacy -A INPUT -m hl ! --hl-eq 64
        let (bytes, decoded) = try roundTrip(HopLimitMatch(.notEqual(64)), family: .ipv6)
        #expect(bytes == payloadHex("01 40"))
        #expect(decoded.as(HopLimitMatch.self) == HopLimitMatch(.notEqual(64)))
        // Every mode survives a round trip.
        for condition in [HopCountCondition.equal(1), .lessThan(2), .greaterThan(3)] {
            #expect(try roundTrip(HopLimitMatch(condition), family: .ipv6).decoded.as(HopLimitMatch.self)?.condition == condition)
        }
        #expect(throws: ModelError.self) {
            try HopLimitMatch.decode(payload: ByteReader([4, 1]), revision: 0, context: ExtensionContext(family: .ipv6))
        }
    }
}
