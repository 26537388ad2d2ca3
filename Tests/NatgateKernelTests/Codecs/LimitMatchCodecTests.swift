import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (`iptc_first_rule`, bytes after the 32-byte match
/// header) after `unshare --net sh -c 'iptables-legacy -A INPUT -m … '` with iptables 1.8.9.
@Suite struct LimitMatchCodecTests {
    @Test func limitRevisionAndSizes() {
        #expect(LimitMatch.revision(for: .ipv4) == 0)
        #expect(LimitMatch.payloadSize(for: .ipv6) == 40)
        #expect(LimitMatch.userspaceSize(for: .ipv4) == 8)
    }

    @Test(arguments: [
        // iptables-legacy -A INPUT -m limit --limit 5/min
        (["--limit", "5/min"], payloadHex("c0 d4 01 00 05 00 00 00", zeros: 32)),
        // iptables-legacy -A INPUT -m limit --limit 5/min --limit-burst 10
        (["--limit", "5/min", "--limit-burst", "10"], payloadHex("c0 d4 01 00 0a 00 00 00", zeros: 32)),
    ])
    func limitPayloadIsWhatIptablesWrites(words: [String], expected: [UInt8]) throws {
        var match = LimitMatch()
        var index = 0
        while index < words.count {
            try match.parse(ParsedOption(name: words[index], arguments: [words[index + 1]]), context: ExtensionContext(family: .ipv4))
            index += 2
        }
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == expected)
        #expect(decoded.as(LimitMatch.self) == match)
    }
}
