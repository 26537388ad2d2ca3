import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct MarkTargetCodecTests {
    @Test func mark() throws {
        // iptables-legacy -t mangle -A PREROUTING -j MARK --set-mark 1
        try check(MarkTarget.self, "--set-mark 1", revision: 2, expect: "01000000 ffffffff")
        // iptables-legacy -t mangle -A PREROUTING -j MARK --set-mark 0x10/0xf0
        try check(MarkTarget.self, "--set-mark 0x10/0xf0", revision: 2, expect: "10000000 f0000000")
        // iptables-legacy -t mangle -A PREROUTING -j MARK --and-mark 0xff
        try check(MarkTarget.self, "--and-mark 0xff", revision: 2, expect: "00000000 00ffffff")
        // iptables-legacy -t mangle -A PREROUTING -j MARK --or-mark 0x4
        try check(MarkTarget.self, "--or-mark 0x4", revision: 2, expect: "04000000 04000000")
        // iptables-legacy -t mangle -A PREROUTING -j MARK --xor-mark 0x4
        try check(MarkTarget.self, "--xor-mark 0x4", revision: 2, expect: "04000000 00000000")
        // ip6tables-legacy -t mangle -A PREROUTING -j MARK --set-mark 4294967295
        try check(MarkTarget.self, "--set-mark 4294967295", family: .ipv6, revision: 2, expect: "ffffffff ffffffff")
    }
}
