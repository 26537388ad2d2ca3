import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT <words>`
/// in a throwaway namespace (iptables 1.8.9); each test names the command's words.
@Suite struct ConntrackMatchTests {
    @Test(arguments: [
        // -m conntrack --ctstate RELATED,ESTABLISHED
        ("--ctstate RELATED,ESTABLISHED", "--ctstate RELATED,ESTABLISHED"),
        // -m conntrack --ctstate established,related,new,invalid,untracked,snat,dnat
        ("--ctstate established,related,new,invalid,untracked,snat,dnat", "--ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT"),
        ("! --ctstate NEW", "! --ctstate NEW"),
        ("--ctstate EST", "--ctstate ESTABLISHED"),
        ("--ctstate N", "--ctstate NEW"),
        ("--ctproto tcp", "--ctproto 6"),
        ("! --ctproto 17", "! --ctproto 17"),
        ("--ctproto all", "--ctproto 0"),
        // -m conntrack --ctorigsrc 10.0.0.0/8 --ctorigdst 10.1.2.3 ! --ctreplsrc 10.0.0.0/255.255.0.0 --ctrepldst 0.0.0.0/0
        ("--ctorigsrc 10.0.0.0/8 --ctorigdst 10.1.2.3 ! --ctreplsrc 10.0.0.0/255.255.0.0 --ctrepldst 0.0.0.0/0",
         "--ctorigsrc 10.0.0.0/8 --ctorigdst 10.1.2.3 ! --ctreplsrc 10.0.0.0/16 --ctrepldst 0.0.0.0/0"),
        ("--ctorigsrc 10.0.0.1/8", "--ctorigsrc 10.0.0.1/8"),
        ("--ctorigsrc 10.0.0.0/32", "--ctorigsrc 10.0.0.0"),
        ("--ctorigsrc 10.0.0.0/0.0.0.0", "--ctorigsrc 10.0.0.0/0"),
        ("--ctorigsrcport 80 --ctorigdstport 1000:2000 ! --ctreplsrcport :100 --ctrepldstport 100:",
         "--ctorigsrcport 80 --ctorigdstport 1000:2000 ! --ctreplsrcport 0:100 --ctrepldstport 100:65535"),
        ("--ctorigsrcport 0:65535", "--ctorigsrcport 0:65535"),
        ("--ctorigsrcport 80:80", "--ctorigsrcport 80"),
        ("--ctstatus NONE", "--ctstatus NONE"),
        ("--ctstatus expected,seen_reply,assured,confirmed", "--ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED"),
        ("! --ctstatus ASSURED,NONE", "! --ctstatus ASSURED"),
        ("--ctexpire 10", "--ctexpire 10"),
        ("! --ctexpire 10:20", "! --ctexpire 10:20"),
        ("--ctexpire 0x10", "--ctexpire 16"),
        ("--ctexpire 4294967295", "--ctexpire 4294967295"),
        ("--ctdir ORIGINAL", "--ctdir ORIGINAL"),
        ("--ctdir reply", "--ctdir REPLY"),
        // -m conntrack --ctdir REPLY --ctstate NEW --ctexpire 5 --ctstatus ASSURED --ctproto tcp --ctorigdstport 22 --ctorigsrc 1.2.3.4
        ("--ctdir REPLY --ctstate NEW --ctexpire 5 --ctstatus ASSURED --ctproto tcp --ctorigdstport 22 --ctorigsrc 1.2.3.4",
         "--ctstate NEW --ctproto 6 --ctorigsrc 1.2.3.4 --ctorigdstport 22 --ctstatus ASSURED --ctexpire 5 --ctdir REPLY"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(ConntrackMatch.self, words) == expected)
    }

    @Test(arguments: [
        // ip6tables-legacy -A INPUT -m conntrack --ctorigsrc fd00::/64 ! --ctorigdst ::1 --ctreplsrc fd00::1/64 --ctrepldst ::/0
        ("--ctorigsrc fd00::/64 ! --ctorigdst ::1 --ctreplsrc fd00::1/64 --ctrepldst ::/0",
         "--ctorigsrc fd00::/64 ! --ctorigdst ::1 --ctreplsrc fd00::1/64 --ctrepldst ::/0"),
        ("--ctorigsrc fd00::/ffff:ffff::", "--ctorigsrc fd00::/32"),
        ("--ctorigsrc fd00::/128", "--ctorigsrc fd00::"),
    ])
    func savesIPv6AsIp6tablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(ConntrackMatch.self, words, family: .ipv6) == expected)
    }

    @Test func typedFieldsHoldTheValues() throws {
        let match = try MatchWords.parse(ConntrackMatch.self, "! --ctstate RELATED,ESTABLISHED --ctorigdstport 1000:2000 --ctexpire 5:9")
        #expect(match.states == .not([.related, .established]))
        #expect(match.originalDestinationPort == Negatable(try PortRange(lower: 1000, upper: 2000)))
        #expect(match.expires == Negatable(5...9))
        #expect(ConntrackMatch(states: [.related, .established]).description == "conntrack --ctstate RELATED,ESTABLISHED")
    }

    @Test(arguments: [
        ("--ctstate ESTABLISHED,", "--ctstate"), ("--ctstate BOGUS", "BOGUS"), ("--ctstatus FOO", "FOO"),
        ("--ctorigsrc 10.0.0.0/33", "10.0.0.0/33"), ("--ctorigsrc 10.0.0.0/255.0.255.0", "255.0.255.0"),
        ("--ctorigsrc localhost", "localhost"), ("--ctorigsrc fd00::1", "fd00::1"),
        ("--ctorigsrcport 90:80", "90:80"), ("--ctorigsrcport ssh", "ssh"), ("--ctorigsrcport 1:2:3", "1:2:3"),
        ("--ctexpire 20:10", "20:10"), ("--ctexpire 4294967296", "4294967296"), ("--ctdir SIDEWAYS", "SIDEWAYS"),
        ("--ctproto bogus", "bogus"), ("--ctstate NEW --ctstate RELATED", "--ctstate"), ("", "-m conntrack"),
    ])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        let error = MatchWords.error(ConntrackMatch.self, words)
        #expect(error != nil)
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test func ipv6AddressInAnIPv4RuleIsRefused() {
        #expect(MatchWords.error(ConntrackMatch.self, "--ctorigsrc 10.0.0.1", family: .ipv6) != nil)
    }
}

@Suite struct StateMatchTests {
    @Test(arguments: [
        ("--state NEW", "--state NEW"),
        // -m state ! --state ESTABLISHED,RELATED
        ("! --state ESTABLISHED,RELATED", "! --state RELATED,ESTABLISHED"),
        ("--state INVALID,UNTRACKED,NEW,RELATED,ESTABLISHED", "--state INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(StateMatch.self, words) == expected)
    }

    @Test func snatIsNotAState() {
        // iptables-legacy: Bad state "SNAT"
        #expect(MatchWords.error(StateMatch.self, "--state SNAT")?.description.contains("SNAT") == true)
        #expect(MatchWords.error(StateMatch.self, "") != nil)
    }
}
