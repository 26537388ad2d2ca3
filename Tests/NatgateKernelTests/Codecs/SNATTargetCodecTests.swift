import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct SNATTargetCodecTests {
    @Test func snatIPv4() throws {
        // iptables-legacy -t nat -A POSTROUTING -s 10.0.0.0/8 -j SNAT --to-source 192.0.2.1
        try check(SNATTarget.self, "--to-source 192.0.2.1", expect: "01000000 01000000 c0000201 c0000201 00000000 00000000")
        // iptables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent
        try check(
            SNATTarget.self, "--to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent", protocol: .tcp,
            expect: "01000000 1f000000 c0000201 c0000209 03e807d0 00000000")
        // iptables-legacy -t nat -A POSTROUTING -p udp -j SNAT --to-source :1000
        try check(SNATTarget.self, "--to-source :1000", protocol: .udp, expect: "01000000 02000000 00000000 00000000 03e803e8 00000000")
        // iptables-legacy -t nat -A POSTROUTING -j SNAT --to-source 192.0.2.9-192.0.2.1
        try check(SNATTarget.self, "--to-source 192.0.2.9-192.0.2.1", expect: "01000000 01000000 c0000209 c0000201 00000000 00000000")
    }

    @Test func snatIPv6() throws {
        // ip6tables-legacy -t nat -A POSTROUTING -j SNAT --to-source 2001:db8::1
        try check(
            SNATTarget.self, "--to-source 2001:db8::1", family: .ipv6, revision: 1,
            expect: "01000000 20010db8 00000000 00000000 00000001 20010db8 00000000 00000000 00000001 00000000")
        // ip6tables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully
        try check(
            SNATTarget.self, "--to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully", family: .ipv6, protocol: .tcp, revision: 1,
            expect: "13000000 20010db8 00000000 00000000 00000001 20010db8 00000000 00000000 00000005 03e807d0")
        // ip6tables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source :1000-2000
        try check(
            SNATTarget.self, "--to-source :1000-2000", family: .ipv6, protocol: .tcp, revision: 1,
            expect: "02000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 03e807d0")
    }

    // iptables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source 192.0.2.1:80-90/85 stores the
    // PROTO_OFFSET flag without the base, and iptables-save prints "/0": not a form natgate models.
    @Test func snatWithOffsetFlagIsNotDecoded() {
        let bytes = hex("01000000 23000000 c0000201 c0000201 0050005a")
        #expect(throws: ModelError.self) {
            try SNATTarget.decode(payload: ByteReader(bytes), revision: 0, context: ExtensionContext(family: .ipv4))
        }
    }
}
