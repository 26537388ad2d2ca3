import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct TCPMSSTargetCodecTests {
    @Test func tcpmss() throws {
        // iptables-legacy -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
        try check(TCPMSSTarget.self, "--clamp-mss-to-pmtu", protocol: .tcp, expect: "ffff0000 00000000")
        // iptables-legacy -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400
        try check(TCPMSSTarget.self, "--set-mss 1400", protocol: .tcp, expect: "78050000 00000000")
        // ip6tables-legacy -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 0x500
        try check(TCPMSSTarget.self, "--set-mss 0x500", family: .ipv6, protocol: .tcp, expect: "00050000 00000000")
        // … -j TCPMSS --set-mss 1400 --clamp-mss-to-pmtu → the last one wins
        try check(TCPMSSTarget.self, "--set-mss 1400 --clamp-mss-to-pmtu", protocol: .tcp, expect: "ffff0000 00000000")
    }
}
