import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9).
@Suite struct MarkMatchCodecTests {
    @Test func markAndConnmarkEncodeAsIptablesLegacy() throws {
        #expect(MarkMatch.revision(for: .ipv4) == 1 && ConnmarkMatch.revision(for: .ipv6) == 1)
        // iptables-legacy -A INPUT -m mark ! --mark 0x10/0xff
        let notMasked = MatchGolden.bytes("10 00 00 00 ff 00 00 00 01 00 00 00 00 00 00 00")
        let mark = MarkMatch(MarkPattern(0x10, mask: 0xff), negated: true)
        #expect(try MatchGolden.entryPayload(mark) == notMasked)
        #expect(try MatchGolden.decode(MarkMatch.self, notMasked) == Match(mark))
        // iptables-legacy -A INPUT -m mark --mark 1
        #expect(try MatchGolden.entryPayload(MarkMatch(MarkPattern(1))) == MatchGolden.bytes("01 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00"))
        // iptables-legacy -A INPUT -m connmark --mark 0xabc/0xff00
        let connmark = ConnmarkMatch(MarkPattern(0xabc, mask: 0xff00))
        let golden = MatchGolden.bytes("bc 0a 00 00 00 ff 00 00 00 00 00 00 00 00 00 00")
        #expect(try MatchGolden.entryPayload(connmark) == golden)
        #expect(try MatchGolden.decode(ConnmarkMatch.self, golden) == Match(connmark))
        // iptables-legacy -A INPUT -m connmark ! --mark 7
        #expect(try MatchGolden.entryPayload(ConnmarkMatch(MarkPattern(7), negated: true)) == MatchGolden.bytes("07 00 00 00 ff ff ff ff 01 00 00 00 00 00 00 00"))
    }
}
