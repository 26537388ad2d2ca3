import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct RejectTargetCodecTests {
    @Test func reject() throws {
        // iptables-legacy -A INPUT -j REJECT
        try check(RejectTarget.self, "", expect: "03000000 00000000")
        // iptables-legacy -A INPUT -p tcp -j REJECT --reject-with tcp-rst
        try check(RejectTarget.self, "--reject-with tcp-rst", protocol: .tcp, expect: "07000000 00000000")
        // iptables-legacy -A INPUT -j REJECT --reject-with icmp-h
        try check(RejectTarget.self, "--reject-with icmp-h", expect: "01000000 00000000")
        // iptables-legacy -A INPUT -j REJECT --reject-with ADMIN-prohib
        try check(RejectTarget.self, "--reject-with ADMIN-prohib", expect: "08000000 00000000")
        // ip6tables-legacy -A INPUT -j REJECT --reject-with adm
        try check(RejectTarget.self, "--reject-with adm", family: .ipv6, expect: "01000000 00000000")
        // ip6tables-legacy -A INPUT -p tcp -j REJECT --reject-with tcp-reset
        try check(RejectTarget.self, "--reject-with tcp-reset", family: .ipv6, protocol: .tcp, expect: "06000000 00000000")
    }
}
