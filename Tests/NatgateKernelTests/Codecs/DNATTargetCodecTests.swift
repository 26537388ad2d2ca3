import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct DNATTargetCodecTests {
    @Test func dnat() throws {
        // iptables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80
        try check(
            DNATTarget.self, "--to-destination 192.0.2.1:80", protocol: .tcp, revision: 2,
            expect: "03000000 c0000201 00000000 00000000 00000000 c0000201 00000000 00000000 00000000 00500050 00000000 00000000")
        // iptables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80-90/85
        try check(
            DNATTarget.self, "--to-destination 192.0.2.1:80-90/85", protocol: .tcp, revision: 2,
            expect: "23000000 c0000201 00000000 00000000 00000000 c0000201 00000000 00000000 00000000 0050005a 00550000 00000000")
        // iptables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination :80
        try check(
            DNATTarget.self, "--to-destination :80", protocol: .tcp, revision: 2,
            expect: "02000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00500050 00000000 00000000")
        // iptables-legacy -t nat -A PREROUTING -p sctp -j DNAT --to-destination 192.0.2.1-192.0.2.3 --random --persistent
        try check(
            DNATTarget.self, "--to-destination 192.0.2.1-192.0.2.3 --random --persistent", protocol: .sctp, revision: 2,
            expect: "0d000000 c0000201 00000000 00000000 00000000 c0000203 00000000 00000000 00000000 00000000 00000000 00000000")
        // ip6tables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80-90/85
        try check(
            DNATTarget.self, "--to-destination [2001:db8::1]:80-90/85", family: .ipv6, protocol: .tcp, revision: 2,
            expect: "23000000 20010db8 00000000 00000000 00000001 20010db8 00000000 00000000 00000001 0050005a 00550000 00000000")
        // ip6tables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination [::ffff:1.2.3.4]
        try check(
            DNATTarget.self, "--to-destination [::ffff:1.2.3.4]", family: .ipv6, protocol: .tcp, revision: 2,
            expect: "01000000 00000000 00000000 0000ffff 01020304 00000000 00000000 0000ffff 01020304 00000000 00000000 00000000")
    }
}
