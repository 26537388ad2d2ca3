import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A INPUT -m recent ARGS;
/// iptables-legacy-save'` (ip6tables-legacy for IPv6) with iptables 1.8.9.
@Suite struct RecentMatchTests {
    @Test(arguments: [
        ("--set", "--set --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("! --rcheck --seconds 60 --hitcount 3 --rttl --name SSH --rdest",
         "! --rcheck --seconds 60 --hitcount 3 --rttl --name SSH --mask 255.255.255.255 --rdest"),
        ("--update --seconds 60 --reap --name x", "--update --seconds 60 --reap --name x --mask 255.255.255.255 --rsource"),
        ("--rcheck --mask 255.255.255.0", "--rcheck --name DEFAULT --mask 255.255.255.0 --rsource"),
        ("--rcheck --mask 255.0.255.0 --rsource", "--rcheck --name DEFAULT --mask 255.0.255.0 --rsource"),
        ("--rcheck --hitcount 20", "--rcheck --hitcount 20 --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("--rcheck --hitcount 65535", "--rcheck --hitcount 65535 --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("--rcheck --hitcount 0", "--rcheck --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("--set --rdest --rsource", "--set --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("--set --mask 10.0.0.1", "--set --name DEFAULT --mask 10.0.0.1 --rsource"),
        ("--rcheck --seconds 4294967295", "--rcheck --seconds -1 --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("--rcheck --seconds 2147483648", "--rcheck --seconds -2147483648 --name DEFAULT --mask 255.255.255.255 --rsource"),
        ("! --update --seconds 60 --reap --hitcount 2 --rttl --name SSH --mask 255.255.0.0 --rdest",
         "! --update --seconds 60 --reap --hitcount 2 --rttl --name SSH --mask 255.255.0.0 --rdest"),
        ("--remove --name abcdefghij", "--remove --name abcdefghij --mask 255.255.255.255 --rsource"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(RecentMatch.self, input)) == expected)
    }

    @Test(arguments: [
        ("--set", "--set --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource"),
        ("--rcheck --mask ffff:ffff:: --name v6", "--rcheck --name v6 --mask ffff:ffff:: --rsource"),
    ])
    func ipv6SavesAsIp6tablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(RecentMatch.self, input, family: .ipv6), family: .ipv6) == expected)
    }

    @Test func savedTextReadsBackEqual() throws {
        let first = try loadMatch(RecentMatch.self, "--rcheck --seconds 4294967295 --name SSH")
        let again = try loadMatch(RecentMatch.self, savedWords(first))
        #expect(again == first)
        #expect(again.maskWritten && !first.maskWritten)
    }

    @Test(arguments: [
        ("--rcheck --seconds 0", "--seconds 0"),
        ("--rcheck --seconds x", "--seconds x"),
        ("--rcheck --hitcount 4294967296", "--hitcount 4294967296"),
        ("--set --name a/b", "--name a/b"),
        ("--set --name .", "--name ."),
        ("--set --name ..", "--name .."),
        ("--rcheck --mask 255.255.255.256", "--mask 255.255.255.256"),
        ("--rcheck --mask 24", "--mask 24"),
    ])
    func badValuesNameTheOptionAndValue(input: String, named: String) {
        let error = modelError { _ = try loadMatch(RecentMatch.self, input) }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains(named) == true, "\(String(describing: error))")
    }

    @Test func refusesEmptyAndOverlongNames() {
        #expect(modelError { _ = try loadMatch(RecentMatch.self, "--set --name", validate: false) } != nil)
        var match = RecentMatch()
        #expect(throws: ModelError.self) {
            try match.parse(ParsedOption(name: "--name", arguments: [""]), context: ExtensionContext(family: .ipv4))
        }
        #expect(throws: ModelError.self) {
            try match.parse(ParsedOption(name: "--name", arguments: [String(repeating: "n", count: 200)]), context: ExtensionContext(family: .ipv4))
        }
        #expect(throws: ModelError.self) {
            try match.parse(ParsedOption(name: "--name", arguments: ["a b"]), context: ExtensionContext(family: .ipv4))
        }
    }

    /// Each line is refused by iptables 1.8.9 or by the kernel (EINVAL).
    @Test(arguments: [
        "--name foo", "--set --rcheck", "--set ! --set", "--rcheck --reap", "--set --rttl", "--set --seconds 5",
        "--remove --hitcount 2", "--rcheck --hitcount 65536", "! --rsource --set",
    ])
    func refusesWhatIptablesOrTheKernelRefuses(input: String) {
        #expect(modelError { _ = try loadMatch(RecentMatch.self, input) } != nil)
    }
}
