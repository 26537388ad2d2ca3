import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -p tcp <words>`
/// in a throwaway namespace (iptables 1.8.9).
@Suite struct TCPMatchTests {
    @Test(arguments: [
        ("--dport 22", "--dport 22"),
        ("--destination-port 22 --source-port 1024:65535", "--sport 1024:65535 --dport 22"),
        ("--sport :1023", "--sport 0:1023"),
        ("--sport 1024:", "--sport 1024:65535"),
        ("--sport 0:65535", ""),
        ("! --sport 0:65535", ""),
        ("--sport :", ""),
        ("! --dport 80 ! --sport 8080", "! --sport 8080 ! --dport 80"),
        ("--dport 0x16", "--dport 22"),
        ("--dport 010", "--dport 8"),
        ("--syn", "--tcp-flags FIN,SYN,RST,ACK SYN"),
        ("! --syn", "! --tcp-flags FIN,SYN,RST,ACK SYN"),
        ("--tcp-flags SYN,ACK SYN", "--tcp-flags SYN,ACK SYN"),
        ("--tcp-flags ALL NONE", "--tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE"),
        ("--tcp-flags ALL ALL", "--tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,SYN,RST,PSH,ACK,URG"),
        ("! --tcp-flags fin,syn,rst,psh,ack,urg fin", "! --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN"),
        ("--tcp-flags NONE NONE", ""),
        ("! --tcp-flags NONE NONE", "! --tcp-flags NONE NONE"),
        ("--tcp-flags SYN,ACK,FIN SYN,ACK,RST", "--tcp-flags FIN,SYN,ACK SYN,RST,ACK"),
        ("--tcp-option 2", "--tcp-option 2"),
        ("--tcp-option 5 --tcp-flags ALL SYN --sport 1 --dport 2", "--sport 1 --dport 2 --tcp-option 5 --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(TCPMatch.self, words, ipProtocol: .tcp) == expected)
    }

    @Test func typedFieldsHoldTheValues() throws {
        let match = try MatchWords.parse(TCPMatch.self, "! --dport 1000:2000 --syn", ipProtocol: .tcp)
        #expect(match.destinationPort == .not(try PortRange(lower: 1000, upper: 2000)))
        #expect(match.flags == Negatable(.syn))
        #expect(match.sourcePort == nil)
        #expect(TCPMatch(destinationPort: Negatable(PortRange(22))).description == "tcp --dport 22")
    }

    @Test(arguments: [
        ("--dport 90:80", "90:80"), ("--dport 65536", "65536"), ("--dport -1", "-1"), ("--dport 22,23", "22,23"),
        ("--dport ssh", "ssh"), ("--tcp-option 0", "--tcp-option 0"), ("--tcp-option 256", "256"),
        ("--tcp-flags SYN,FOO SYN", "FOO"), ("--syn --tcp-flags ALL SYN", "--tcp-flags"), ("--dport 22 --dport 23", "--dport"),
        ("--dport 1:2:3", "1:2:3"), ("--sport 0:65535 --sport 80", "--sport"), ("--tcp-flags NONE NONE --syn", "--syn"),
        ("--source-port 1 --sport 2", "--sport"),
    ])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        let error = MatchWords.error(TCPMatch.self, words, ipProtocol: .tcp)
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test func needsProtocolTCP() {
        // iptables-legacy -A INPUT -m tcp --dport 22: the kernel says EINVAL; so do -p udp and ! -p tcp.
        #expect(MatchWords.error(TCPMatch.self, "--dport 22")?.description.contains("-p tcp") == true)
        #expect(MatchWords.error(TCPMatch.self, "--dport 22", ipProtocol: .udp) != nil)
    }
}
