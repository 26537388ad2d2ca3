import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct ConnmarkTargetCodecTests {
    @Test func connmark() throws {
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --set-mark 1
        try check(ConnmarkTarget.self, "--set-mark 1", revision: 2, expect: "01000000 ffffffff ffffffff 00000000")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --save-mark
        try check(ConnmarkTarget.self, "--save-mark", revision: 2, expect: "00000000 ffffffff ffffffff 00000100")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --restore-mark --mask 0xff
        try check(ConnmarkTarget.self, "--restore-mark --mask 0xff", revision: 2, expect: "00000000 ff000000 ff000000 00000200")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xf0
        try check(ConnmarkTarget.self, "--restore-mark --nfmask 0xf --ctmask 0xf0", revision: 2, expect: "00000000 f0000000 0f000000 00000200")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --set-mark 1 --mask 0xff (nfmask kept, not printed)
        try check(ConnmarkTarget.self, "--set-mark 1 --mask 0xff", revision: 2, expect: "01000000 ff000000 ff000000 00000000")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --save-mark --left-shift-mark 8
        try check(ConnmarkTarget.self, "--save-mark --left-shift-mark 8", revision: 2, expect: "00000000 ffffffff ffffffff 00080100")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --save-mark --right-shift-mark 0 (direction kept, not printed)
        try check(ConnmarkTarget.self, "--save-mark --right-shift-mark 0", revision: 2, expect: "00000000 ffffffff ffffffff 01000100")
        // iptables-legacy -t mangle -A PREROUTING -j CONNMARK --and-mark 0xf
        try check(ConnmarkTarget.self, "--and-mark 0xf", revision: 2, expect: "00000000 f0ffffff ffffffff 00000000")
    }
}
