import Testing
@testable import NatgateModel

/// Expected strings are what `ip6tables-legacy-save` printed after `ip6tables-legacy -A INPUT -p icmpv6 <words>`.
@Suite struct ICMPv6MatchTests {
    @Test(arguments: [
        ("--icmpv6-type echo-request", "--icmpv6-type 128"),
        ("--icmpv6-type 128", "--icmpv6-type 128"),
        ("! --icmpv6-type 1/3", "! --icmpv6-type 1/3"),
        ("--icmpv6-type neighbor-solicitation", "--icmpv6-type 135"),
        ("--icmpv6-type 1/0:255", "--icmpv6-type 1"),
        ("--icmpv6-type 1/2:3", "--icmpv6-type 1/2"),
        ("--icmpv6-type 255", "--icmpv6-type 255"),
        ("--icmpv6-type no-route", "--icmpv6-type 1/0"),
    ])
    func savesAsIp6tablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(ICMPv6Match.self, words, family: .ipv6, ipProtocol: .icmpv6) == expected)
    }

    @Test func anyIsNotAnICMPv6Type() {
        // ip6tables-legacy: Unknown ICMPv6 type `any'
        #expect(MatchWords.error(ICMPv6Match.self, "--icmpv6-type any", family: .ipv6, ipProtocol: .icmpv6)?.description.contains("any") == true)
        #expect(MatchWords.error(ICMPv6Match.self, "--icmpv6-type 128", family: .ipv4, ipProtocol: .icmpv6) != nil)
        #expect(MatchWords.error(ICMPv6Match.self, "--icmpv6-type 128", family: .ipv6, ipProtocol: .icmp) != nil)
    }
}
