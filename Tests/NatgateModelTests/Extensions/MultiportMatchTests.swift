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
