import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9).
@Suite struct ConntrackMatchCodecTests {
    // iptables-legacy -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED
    static let relatedEstablished = MatchGolden.bytes("""
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 01 00 00 00 06 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00
        """)

    // iptables-legacy -A INPUT -m conntrack --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT
    //   ! --ctproto tcp --ctorigsrc 10.0.0.1/8 ! --ctorigdst 192.168.1.0/24 --ctreplsrc 1.2.3.4
    //   --ctrepldst 0.0.0.0/0 --ctorigsrcport 80 ! --ctorigdstport 1000:2000 --ctreplsrcport 1
    //   --ctrepldstport 2:3 ! --ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED --ctexpire 10:20 --ctdir REPLY
    static let everything = MatchGolden.bytes("""
        0a 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00
        ff 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        c0 a8 01 00 00 00 00 00 00 00 00 00 00 00 00 00
        ff ff ff 00 00 00 00 00 00 00 00 00 00 00 00 00
        01 02 03 04 00 00 00 00 00 00 00 00 00 00 00 00
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        0a 00 00 00 14 00 00 00 06 00 50 00 e8 03 01 00
        02 00 ff 1f 4a 12 cf 01 0f 00 50 00 d0 07 01 00
        03 00 00 00 00 00 00 00
        """)
    static let everythingWords = """
        --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT ! --ctproto tcp --ctorigsrc 10.0.0.1/8 \
        ! --ctorigdst 192.168.1.0/24 --ctreplsrc 1.2.3.4 --ctrepldst 0.0.0.0/0 --ctorigsrcport 80 \
        ! --ctorigdstport 1000:2000 --ctreplsrcport 1 --ctrepldstport 2:3 \
        ! --ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED --ctexpire 10:20 --ctdir REPLY
        """

    // iptables-legacy -A INPUT -m conntrack --ctstatus NONE --ctdir ORIGINAL
    static let statusNoneOriginal: [UInt8] = [UInt8](repeating: 0, count: 144) + MatchGolden.bytes("""
        00 00 40 10 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00
        """)

    // ip6tables-legacy -A INPUT -m conntrack --ctorigsrc fd00::1/64 ! --ctrepldst ::/0 --ctstate NEW
    static let ipv6 = MatchGolden.bytes("""
        fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
        ff ff ff ff ff ff ff ff 00 00 00 00 00 00 00 00
        """) + [UInt8](repeating: 0, count: 112) + MatchGolden.bytes("""
        00 00 25 00 20 00 08 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00
        """)

    // iptables-legacy -A INPUT -m state --state NEW
    static let stateNew = [UInt8](repeating: 0, count: 144) + MatchGolden.bytes("""
        00 00 01 20 00 00 08 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00
        """)
    // iptables-legacy -A INPUT -m state ! --state INVALID,UNTRACKED
    static let stateNotInvalidUntracked = [UInt8](repeating: 0, count: 144) + MatchGolden.bytes("""
        00 00 01 20 01 00 01 01 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00
        """)

    static func conntrack(_ words: String, family: Family = .ipv4) throws -> ConntrackMatch {
        var match = ConntrackMatch()
        let context = ExtensionContext(family: family)
        var tokens = words.split(separator: " ").map(String.init)[...]
        while !tokens.isEmpty {
            var negated = false
            if tokens.first == "!" { negated = true; tokens = tokens.dropFirst() }
            let name = tokens.removeFirst()
            let argument = tokens.removeFirst()
            try match.parse(ParsedOption(name: name, negated: negated, arguments: [argument]), context: context)
        }
        return match
    }

    @Test(arguments: [
        ("--ctstate RELATED,ESTABLISHED", ConntrackMatchCodecTests.relatedEstablished),
        (ConntrackMatchCodecTests.everythingWords, ConntrackMatchCodecTests.everything),
        ("--ctstatus NONE --ctdir ORIGINAL", ConntrackMatchCodecTests.statusNoneOriginal),
    ])
    func encodesAsIptablesLegacy(words: String, golden: [UInt8]) throws {
        let match = try Self.conntrack(words)
        let payload = try MatchGolden.entryPayload(match)
        #expect(payload == golden, "\(MatchGolden.diff(payload, golden))")
        #expect(try MatchGolden.decode(ConntrackMatch.self, golden) == Match(match))
    }

    @Test func encodesIPv6AsIp6tablesLegacy() throws {
        let match = try Self.conntrack("--ctorigsrc fd00::1/64 ! --ctrepldst ::/0 --ctstate NEW", family: .ipv6)
        let payload = try MatchGolden.entryPayload(match, family: .ipv6)
        #expect(payload == Self.ipv6, "\(MatchGolden.diff(payload, Self.ipv6))")
        #expect(try MatchGolden.decode(ConntrackMatch.self, Self.ipv6, family: .ipv6) == Match(match))
    }

    @Test func stateIsWrittenAsConntrackWithTheAliasFlag() throws {
        #expect(StateMatch.kernelName == "conntrack")
        #expect(StateMatch.revision(for: .ipv4) == 3)
        let new = StateMatch(states: .new)
        #expect(try MatchGolden.entryPayload(new) == Self.stateNew)
        let notInvalid = StateMatch(states: [.invalid, .untracked], negated: true)
        #expect(try MatchGolden.entryPayload(notInvalid) == Self.stateNotInvalidUntracked)
        // The kernel's conntrack entry with the alias flag reads back as -m state, as iptables-save prints it.
        #expect(try MatchGolden.decode(ConntrackMatch.self, Self.stateNew) == Match(new))
        #expect(try MatchGolden.decode(ConntrackMatch.self, Self.stateNotInvalidUntracked) == Match(notInvalid))
    }

    @Test func aBareIPv4AddressAndItsSlash32FormEncodeTheSame() throws {
        // iptables writes `1.2.3.4` with a 16-byte 0xFF mask but `1.2.3.4/32` with a 4-byte one; both
        // print as `1.2.3.4`, so natgate writes the bare form's bytes for either.
        let bare = try MatchGolden.entryPayload(Self.conntrack("--ctreplsrc 1.2.3.4"))
        let slash = try MatchGolden.entryPayload(Self.conntrack("--ctreplsrc 1.2.3.4/32"))
        #expect(bare == slash)
        #expect(Array(bare[80..<96]) == [UInt8](repeating: 0xFF, count: 16))
    }

    @Test func aTruncatedPayloadThrows() {
        #expect(throws: (any Error).self) { try MatchGolden.decode(ConntrackMatch.self, Array(Self.everything.prefix(100))) }
    }
}
