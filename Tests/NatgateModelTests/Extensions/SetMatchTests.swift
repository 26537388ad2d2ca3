import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'ipset create s1 hash:net,iface;
/// iptables-legacy -A FORWARD -m set ARGS -j ACCEPT; iptables-legacy-save'` with iptables 1.8.9.
@Suite struct SetMatchTests {
    @Test(arguments: [
        ("--match-set s1 src,dst", "--match-set s1 src,dst"),
        ("! --match-set s1 dst,src", "! --match-set s1 dst,src"),
        ("--set s1 src", "--match-set s1 src"),
        ("--match-set s1 src,src,src,src,src,src", "--match-set s1 src,src,src,src,src,src"),
        ("--match-set s1 src --update-counters --packets-eq 0x10", "--match-set s1 src --packets-eq 16"),
        ("--match-set s1 src --packets-gt 5 ! --bytes-eq 7 ! --update-subcounters ! --update-counters --return-nomatch",
         "--match-set s1 src --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 5 ! --bytes-eq 7"),
        ("--match-set s1 src,dst,src --packets-lt 5 --bytes-gt 9", "--match-set s1 src,dst,src --packets-lt 5 --bytes-gt 9"),
        ("--match-set natgate-0123456789abcdef-v6 dst ! --packets-eq 18446744073709551615",
         "--match-set natgate-0123456789abcdef-v6 dst ! --packets-eq 18446744073709551615"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(SetMatch.self, input)) == expected)
    }

    @Test func savedTextParsesBackToTheSameMatch() throws {
        let match = try loadMatch(SetMatch.self, "! --match-set gw dst,src --return-nomatch ! --bytes-eq 3 --packets-lt 2")
        #expect(try loadMatch(SetMatch.self, savedWords(match)) == match)
        #expect(match.setName == "gw" && match.directions == [.destination, .source] && match.negated)
        #expect(match.packets == .less(2) && match.bytes == .notEqual(3))
    }

    /// Each is refused by iptables 1.8.9 (name too long, bad direction, too many directions, a
    /// second counter condition, `!` before an option that has none).
    @Test(arguments: [
        ("--match-set aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa src", "1 to 31 bytes"),
        ("--match-set s1 source", "src or dst"),
        ("--match-set s1 src,", "src or dst"),
        ("--match-set s1 src,src,src,src,src,src,src", "at most 6"),
        ("--match-set s1 src --packets-eq 1 --packets-gt 2", "only one of --packets"),
        ("--match-set s1 src --bytes-lt x", "counter value"),
    ])
    func badValuesNameTheOption(input: String, says: String) {
        let error = modelError { _ = try loadMatch(SetMatch.self, input) }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "no error")")
    }

    @Test func refusesWhatIptablesRefuses() {
        #expect(modelError { _ = try loadMatch(SetMatch.self, "--match-set s1 src ! --packets-gt 2") }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(SetMatch.self, "--match-set s1 src ! --return-nomatch") }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(SetMatch.self, "--match-set s1 src --match-set s2 dst") }?.kind == .invalidValue)
        #expect(modelError { _ = try loadMatch(SetMatch.self, "--return-nomatch") }?.kind == .missingArgument)
    }

    @Test func aWholeRuleParsesWithTwoSetMatches() throws {
        let text = "-m set --match-set a src -m set ! --match-set b dst,src -j ACCEPT"
        let rule = try Rule(saveArguments: text, family: .ipv4, table: .filter, chain: .forward)
        #expect(rule.matches.compactMap { $0.as(SetMatch.self)?.setName } == ["a", "b"])
        #expect(rule.saveArguments(family: .ipv4, table: .filter, chain: .forward) == text)
    }
}
