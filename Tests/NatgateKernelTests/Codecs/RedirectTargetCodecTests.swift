import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct RedirectTargetCodecTests {
    @Test func redirect() throws {
        // iptables-legacy -t nat -A OUTPUT -p tcp -j REDIRECT --to-ports 8080 --random
        try check(RedirectTarget.self, "--to-ports 8080 --random", protocol: .tcp, expect: "01000000 06000000 00000000 00000000 1f901f90 00000000")
        // iptables-legacy -t nat -A OUTPUT -p udp -j REDIRECT
        try check(RedirectTarget.self, "", protocol: .udp, expect: "01000000 00000000 00000000 00000000 00000000 00000000")
        // ip6tables-legacy -t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090
        try check(
            RedirectTarget.self, "--to-ports 8080-8090", family: .ipv6, protocol: .tcp,
            expect: "02000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 1f901f9a")
    }
}
