import NatgateKernel
import Testing
@testable import NatgateModel

/// Expected payloads were read back with libiptc (`iptc_first_rule`, bytes after the 32-byte match
/// header) after `unshare --net sh -c 'iptables-legacy -A INPUT -m … '` with iptables 1.8.9.
@Suite struct StatisticMatchCodecTests {
    @Test func statisticRevisionAndSizes() {
        #expect(StatisticMatch.revision(for: .ipv6) == 0)
        #expect(StatisticMatch.payloadSize(for: .ipv4) == 24)
        #expect(StatisticMatch.userspaceSize(for: .ipv4) == 12)
    }

    @Test(arguments: [
        // iptables-legacy -A INPUT -m statistic --mode random --probability 0.5
        (StatisticMatch(mode: .random(probability: 0x4000_0000)), payloadHex("00 00 00 00 00 00 00 40 00 00 00 00 00 00 00 40", zeros: 8)),
        // iptables-legacy -A INPUT -m statistic --mode random ! --probability 0.25
        (StatisticMatch(mode: .random(probability: 0x2000_0000), inverted: true),
         payloadHex("00 00 01 00 00 00 00 20 00 00 00 00 00 00 00 20", zeros: 8)),
        // iptables-legacy -A INPUT -m statistic --mode random --probability 0.1
        (StatisticMatch(mode: .random(probability: 0x0CCC_CCCD)), payloadHex("00 00 00 00 cd cc cc 0c 00 00 00 00 cd cc cc 0c", zeros: 8)),
        // iptables-legacy -A INPUT -m statistic --mode nth --every 3 --packet 0
        (StatisticMatch(mode: .nth(every: 3, packet: 0)), payloadHex("01 00 00 00 02 00 00 00 00 00 00 00 02 00 00 00", zeros: 8)),
        // iptables-legacy -A INPUT -m statistic --mode nth ! --every 3 --packet 2
        (StatisticMatch(mode: .nth(every: 3, packet: 2), inverted: true),
         payloadHex("01 00 01 00 02 00 00 00 02 00 00 00 00 00 00 00", zeros: 8)),
        // iptables-legacy -A INPUT -m statistic --mode nth --packet 1 --every 2
        (StatisticMatch(mode: .nth(every: 2, packet: 1)), payloadHex("01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00", zeros: 8)),
    ])
    func statisticPayloadIsWhatIptablesWrites(match: StatisticMatch, expected: [UInt8]) throws {
        let (bytes, decoded) = try roundTrip(match)
        #expect(bytes == expected)
        #expect(decoded.as(StatisticMatch.self) == match)
    }

    @Test func statisticRefusesAnUnknownMode() {
        #expect(throws: ModelError.self) {
            try StatisticMatch.decode(payload: ByteReader(payloadHex("02 00", zeros: 22)), revision: 0, context: ExtensionContext(family: .ipv4))
        }
    }
}
