import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -m addrtype <words>`.
@Suite struct AddrtypeMatchTests {
    @Test(arguments: [
        ("--src-type LOCAL", "--src-type LOCAL"),
        ("! --dst-type local,unicast,Broadcast --src-type BLACKHOLE", "--src-type BLACKHOLE ! --dst-type UNICAST,LOCAL,BROADCAST"),
        ("--src-type U", "--src-type UNSPEC"),
        ("--src-type UNSPEC,UNICAST,LOCAL,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE",
         "--src-type UNSPEC,UNICAST,LOCAL,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE"),
        ("--dst-type LOCAL --limit-iface-in", "--dst-type LOCAL --limit-iface-in"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(AddrtypeMatch.self, words) == expected)
    }

    @Test(arguments: [
        ("--src-type FOO", "FOO"), ("--src-type LOCAL,", "--src-type"), ("--limit-iface-in", "--src-type"), ("", "--dst-type"),
        ("--dst-type LOCAL --limit-iface-out --limit-iface-in", "--limit-iface-out"),
        ("--src-type LOCAL --src-type LOCAL", "--src-type"),
    ])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        let error = MatchWords.error(AddrtypeMatch.self, words)
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test func theKernelsRefusalsAreCheckedFirst() throws {
        // iptables-legacy -A INPUT -m addrtype --dst-type LOCAL --limit-iface-out: EINVAL.
        let out = try MatchWords.parse(AddrtypeMatch.self, "--dst-type LOCAL --limit-iface-out")
        #expect(throws: ModelError.self) { try out.validate(context: ExtensionContext(family: .ipv4, chain: .input)) }
        #expect(throws: Never.self) { try out.validate(context: ExtensionContext(family: .ipv4, chain: .forward)) }
        let inward = try MatchWords.parse(AddrtypeMatch.self, "--dst-type LOCAL --limit-iface-in")
        #expect(throws: ModelError.self) { try inward.validate(context: ExtensionContext(family: .ipv4, chain: .output)) }
        // ip6tables-legacy refuses BLACKHOLE, PROHIBIT, BROADCAST, THROW, NAT, XRESOLVE; accepts the rest.
        #expect(MatchWords.error(AddrtypeMatch.self, "--src-type BROADCAST", family: .ipv6) != nil)
        #expect(MatchWords.error(AddrtypeMatch.self, "--src-type MULTICAST,ANYCAST,LOCAL,UNICAST,UNSPEC,UNREACHABLE", family: .ipv6) == nil)
    }
}
