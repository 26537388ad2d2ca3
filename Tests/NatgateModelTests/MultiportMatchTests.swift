import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -p tcp -m multiport <words>`.
@Suite struct MultiportMatchTests {
    @Test(arguments: [
        ("--dports 22,80,443", "--dports 22,80,443"),
        ("--destination-ports 22", "--dports 22"),
        ("! --sports 1000:2000,3000", "! --sports 1000:2000,3000"),
        ("--source-ports 1,2", "--sports 1,2"),
        ("--ports 53,67:68", "--ports 53,67:68"),
        ("--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", "--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"),
        ("--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14:20", "--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14:20"),
        ("--dports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15", "--dports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15"),
        ("--dports 0x50,010", "--dports 80,8"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(MultiportMatch.self, words, ipProtocol: .tcp) == expected)
    }

    @Test func typedFieldsHoldTheValues() throws {
        let match = try MatchWords.parse(MultiportMatch.self, "! --ports 53,67:68", ipProtocol: .udp)
        #expect(match.direction == .either)
        #expect(match.ports == [PortRange(53), try PortRange(lower: 67, upper: 68)])
        #expect(match.negated)
        #expect(match.slotsUsed == 3)
    }

    @Test(arguments: [
        // iptables-legacy: too many ports specified
        ("--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "16"),
        ("--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:20", "15:20"),
        // iptables-legacy: invalid portrange specified
        ("--dports 80:80", "80:80"), ("--dports 90:80", "90:80"),
        ("--dports 22,", "22,"), ("--dports ,22", ",22"), ("--dports ssh", "ssh"), ("--dports 65536", "65536"),
        ("--dports 22 --sports 80", "--sports"), ("", "-m multiport"),
    ])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        let error = MatchWords.error(MultiportMatch.self, words, ipProtocol: .tcp)
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test func needsAPortProtocol() {
        // iptables-legacy -A INPUT -m multiport --dports 22: multiport needs `-p tcp', ...
        #expect(MatchWords.error(MultiportMatch.self, "--dports 22") != nil)
        #expect(MatchWords.error(MultiportMatch.self, "--dports 22", ipProtocol: .icmp) != nil)
        for proto in [IPProtocol.tcp, .udp, .udplite, .sctp, IPProtocol(number: 33)] {
            #expect(MatchWords.error(MultiportMatch.self, "--dports 22", ipProtocol: proto) == nil)
        }
    }
}

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
