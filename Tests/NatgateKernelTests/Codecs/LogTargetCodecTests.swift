import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct LogTargetCodecTests {
    @Test func log() throws {
        // iptables-legacy -A INPUT -j LOG
        try check(LogTarget.self, "", expect: "04000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000")
        // iptables-legacy -A INPUT -j LOG --log-level 0x3
        try check(LogTarget.self, "--log-level 3", expect: "03000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000")
        // ip6tables-legacy -A INPUT -j LOG --log-level panic
        try check(LogTarget.self, "--log-level panic", family: .ipv6, expect: "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000")
        // iptables-legacy -A INPUT -j LOG --log-prefix abcdefghijklmnopqrstuvwxyz012 (29 bytes, the most the kernel keeps)
        try check(
            LogTarget.self, "--log-prefix abcdefghijklmnopqrstuvwxyz012",
            expect: "04006162 63646566 6768696a 6b6c6d6e 6f707172 73747576 7778797a 30313200")
        // iptables-legacy -A INPUT -j LOG --log-prefix hello --log-level debug --log-tcp-sequence --log-tcp-options
        //   --log-ip-options --log-uid --log-macdecode
        try check(
            LogTarget.self, "--log-prefix hello --log-level debug --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode",
            expect: "072f6865 6c6c6f00 00000000 00000000 00000000 00000000 00000000 00000000")
    }
}
