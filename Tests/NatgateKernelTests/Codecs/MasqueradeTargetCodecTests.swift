import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct MasqueradeTargetCodecTests {
    @Test func masquerade() throws {
        // iptables-legacy -t nat -A POSTROUTING -o eth0 -j MASQUERADE
        try check(MasqueradeTarget.self, "", expect: "01000000 00000000 00000000 00000000 00000000 00000000")
        // ip6tables-legacy -t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000 --random-fully
        try check(
            MasqueradeTarget.self, "--to-ports 1000-2000 --random-fully", family: .ipv6, protocol: .tcp,
            expect: "12000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 03e807d0")
        // ip6tables-legacy -t nat -A POSTROUTING -p dccp -j MASQUERADE --to-ports 5 --random
        try check(
            MasqueradeTarget.self, "--to-ports 5 --random", family: .ipv6, protocol: IPProtocol(number: 33),
            expect: "06000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00050005")
    }
}
