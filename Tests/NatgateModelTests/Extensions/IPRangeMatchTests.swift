import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A INPUT -m iprange ARGS;
/// iptables-legacy-save'` (ip6tables-legacy for IPv6) with iptables 1.8.9.
@Suite struct IPRangeMatchTests {
    @Test(arguments: [
        ("--src-range 10.0.0.1-10.0.0.9", "--src-range 10.0.0.1-10.0.0.9"),
        ("! --dst-range 10.0.0.1 ! --src-range 10.0.0.5-10.0.0.3", "! --src-range 10.0.0.5-10.0.0.3 ! --dst-range 10.0.0.1-10.0.0.1"),
        ("--dst-range 10.1-10.2", "--dst-range 10.1.0.0-10.2.0.0"),
        ("--src-range 010.0.0.1", "--src-range 8.0.0.1-8.0.0.1"),
        ("--dst-range 10.0.0.1-10.0.0.9 ! --src-range 192.0.2.1-192.0.2.200", "! --src-range 192.0.2.1-192.0.2.200 --dst-range 10.0.0.1-10.0.0.9"),
    ])
    func ipv4SavesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(IPRangeMatch.self, input)) == expected)
    }

    @Test(arguments: [
        ("! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4", "! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4-::ffff:1.2.3.4"),
        ("--src-range 2001:db8:0:0:0:0:0:1-2001:DB8::ff", "--src-range 2001:db8::1-2001:db8::ff"),
        ("--src-range ::1.2.3.4", "--src-range ::1.2.3.4-::1.2.3.4"),
    ])
    func ipv6SavesAsIp6tablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(IPRangeMatch.self, input, family: .ipv6), family: .ipv6) == expected)
    }

    @Test func backwardsRangesAreKeptAndFlagged() throws {
        let match = try loadMatch(IPRangeMatch.self, "--src-range 10.0.0.5-10.0.0.3")
        #expect(match.source?.value.isBackwards == true)
    }

    /// iptables: `Bad value for "--src-range" option: "10.0.0.9-10.0.0.10"` and the like.
    @Test(arguments: [
        ("--src-range 10.0.0.1-10.0.0.9-10.0.0.10", "--src-range 10.0.0.1-10.0.0.9-10.0.0.10"),
        ("--src-range 10.0.0.256", "--src-range 10.0.0.256"),
        ("--dst-range 2001:db8::1", "--dst-range 2001:db8::1"),
        ("--dst-range 1.2.3.4.5", "--dst-range 1.2.3.4.5"),
    ])
    func badRangesNameTheOptionAndValue(input: String, named: String) {
        let error = modelError { _ = try loadMatch(IPRangeMatch.self, input) }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains(named) == true)
    }

    @Test func needsARange() {
        #expect(modelError { _ = try loadMatch(IPRangeMatch.self, "") }?.kind == .missingArgument)
        #expect(modelError { _ = try loadMatch(IPRangeMatch.self, "--src-range 1.2.3.4 --src-range 1.2.3.5") } != nil)
    }
}
