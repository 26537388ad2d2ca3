import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -m mark <words>`.
@Suite struct MarkMatchTests {
    @Test(arguments: [
        ("--mark 1", "--mark 0x1"),
        ("! --mark 0x10/0xff", "! --mark 0x10/0xff"),
        ("--mark 0xffffffff", "--mark 0xffffffff"),
        ("--mark 5/0xffffffff", "--mark 0x5"),
        ("--mark 010", "--mark 0x8"),
        ("--mark 0/0", "--mark 0x0/0x0"),
        ("--mark 0xABC/0XFF00", "--mark 0xabc/0xff00"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(MarkMatch.self, words) == expected)
        #expect(try MatchWords.canonical(ConnmarkMatch.self, words) == expected)
    }

    @Test(arguments: [("--mark 4294967296", "4294967296"), ("--mark 1/", "1/"), ("--mark x", "x"), ("", "--mark")])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        #expect(MatchWords.error(MarkMatch.self, words)?.description.contains(named) == true)
        #expect(MatchWords.error(ConnmarkMatch.self, words)?.description.contains(named) == true)
    }

    @Test func typedFieldsHoldTheValues() throws {
        #expect(try MatchWords.parse(ConnmarkMatch.self, "! --mark 0x10/0xff").mark == .not(MarkPattern(0x10, mask: 0xff)))
        #expect(MarkMatch(MarkPattern(1)).description == "mark --mark 0x1")
    }
}
