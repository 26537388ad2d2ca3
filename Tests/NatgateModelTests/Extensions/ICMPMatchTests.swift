import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -p icmp <words>`.
@Suite struct ICMPMatchTests {
    @Test(arguments: [
        ("--icmp-type echo-request", "--icmp-type 8"),
        ("--icmp-type 8", "--icmp-type 8"),
        ("--icmp-type 8/0", "--icmp-type 8/0"),
        // iptables 1.8.9 prints only the lower code of a range.
        ("--icmp-type 3/1:2", "--icmp-type 3/1"),
        ("! --icmp-type any", "! --icmp-type any"),
        ("--icmp-type any", "--icmp-type any"),
        ("--icmp-type port-unreachable", "--icmp-type 3/3"),
        ("--icmp-type ping", "--icmp-type 8"),
        ("--icmp-type ECHO-REP", "--icmp-type 0"),
        ("--icmp-type 255", "--icmp-type any"),
        ("--icmp-type 255/3", "--icmp-type any"),
        ("--icmp-type 8/0:255", "--icmp-type 8"),
        ("--icmp-type 8/0x1", "--icmp-type 8/1"),
        ("--icmp-type network-unreachable", "--icmp-type 3/0"),
        ("--icmp-type time-exceeded", "--icmp-type 11"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(ICMPMatch.self, words, ipProtocol: .icmp) == expected)
    }

    @Test func typedFieldsHoldTheValues() throws {
        let match = try MatchWords.parse(ICMPMatch.self, "! --icmp-type host-unreachable", ipProtocol: .icmp)
        #expect(match.icmpType == .not(ICMPType(type: 3, code: 1)))
        #expect(ICMPMatch(.echoRequest).description == "icmp --icmp-type 8")
    }

    @Test(arguments: [
        ("--icmp-type e", "ambiguous"), ("--icmp-type bogus", "bogus"), ("--icmp-type 3:4", "3:4"),
        ("--icmp-type 256", "256"), ("--icmp-type 8/2:1", "8/2:1"), ("", "--icmp-type"),
    ])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        let error = MatchWords.error(ICMPMatch.self, words, ipProtocol: .icmp)
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test func needsProtocolICMPAndIPv4() {
        #expect(MatchWords.error(ICMPMatch.self, "--icmp-type 8") != nil)
        #expect(MatchWords.error(ICMPMatch.self, "--icmp-type 8", family: .ipv6, ipProtocol: .icmp) != nil)
    }
}
