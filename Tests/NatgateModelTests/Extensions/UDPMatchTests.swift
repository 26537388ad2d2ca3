import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -p udp <words>`.
@Suite struct UDPMatchTests {
    @Test(arguments: [
        ("--dport 53", "--dport 53"),
        ("--destination-port 53 ! --source-port 1:2", "! --sport 1:2 --dport 53"),
        ("--sport 0:65535", ""),
        ("! --sport 0:65535", ""),
        ("--dport :", ""),
        // udp reads ports as getaddrinfo does: decimal, so 010 is 10 (tcp reads it as octal 8).
        ("--dport 010", "--dport 10"),
        ("--dport 53:", "--dport 53:65535"),
    ])
    func savesAsIptablesLegacySave(words: String, expected: String) throws {
        #expect(try MatchWords.canonical(UDPMatch.self, words, ipProtocol: .udp) == expected)
    }

    @Test(arguments: [
        ("--dport 1:2:3", "1:2:3"), ("--dport domain", "domain"), ("--dport 0x35", "0x35"), ("--dport 90:80", "90:80"),
        ("--sport 1 --sport 2", "--sport"), ("--dport : --destination-port 53", "--destination-port"),
    ])
    func badValuesNameTheOptionAndValue(words: String, named: String) {
        let error = MatchWords.error(UDPMatch.self, words, ipProtocol: .udp)
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test func needsProtocolUDP() {
        // iptables-legacy -A INPUT -p udplite -m udp --dport 53: EINVAL from the kernel.
        #expect(MatchWords.error(UDPMatch.self, "--dport 53", ipProtocol: .udplite) != nil)
    }
}
