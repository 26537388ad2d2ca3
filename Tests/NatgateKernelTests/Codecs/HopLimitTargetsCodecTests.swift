import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct HopLimitTargetsCodecTests {
    @Test func hlAndTTL() throws {
        // ip6tables-legacy -t mangle -A POSTROUTING -j HL --hl-inc 2
        try check(HLTarget.self, "--hl-inc 2", family: .ipv6, expect: "01020000 00000000")
        // ip6tables-legacy -t mangle -A POSTROUTING -j HL --hl-set 255
        try check(HLTarget.self, "--hl-set 255", family: .ipv6, expect: "00ff0000 00000000")
        // iptables-legacy -t mangle -A POSTROUTING -j TTL --ttl-set 64
        try check(TTLTarget.self, "--ttl-set 64", expect: "00400000 00000000")
        // iptables-legacy -t mangle -A POSTROUTING -j TTL --ttl-dec 0x10
        try check(TTLTarget.self, "--ttl-dec 16", expect: "02100000 00000000")
    }
}
