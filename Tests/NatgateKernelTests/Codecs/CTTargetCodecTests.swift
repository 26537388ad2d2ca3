import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct CTTargetCodecTests {
    private static let zeros = String(repeating: " 00000000", count: 16)

    @Test func ct() throws {
        #expect(CTTarget.userspaceSize(for: .ipv4) == 64)
        // iptables-legacy -t raw -A PREROUTING -j CT --notrack
        try check(CTTarget.self, "--notrack", revision: 2, expect: "01000000 00000000" + Self.zeros)
        // iptables-legacy -t raw -A PREROUTING -j CT --zone 5
        try check(CTTarget.self, "--zone 5", revision: 2, expect: "00000500 00000000" + Self.zeros)
        // iptables-legacy -t raw -A PREROUTING -j CT --zone-orig mark
        try check(CTTarget.self, "--zone-orig mark", revision: 2, expect: "14000000 00000000" + Self.zeros)
        // iptables-legacy -t raw -A PREROUTING -j CT --zone-reply 7
        try check(CTTarget.self, "--zone-reply 7", revision: 2, expect: "08000700 00000000" + Self.zeros)
        // iptables-legacy -t raw -A OUTPUT -j CT --ctevents related,new,mark --expevents new
        try check(CTTarget.self, "--ctevents related,new,mark --expevents new", revision: 2, expect: "00000000 83000000 01000000" + Self.zeros)
        // iptables-legacy -t raw -A OUTPUT -j CT --ctevents natseqinfo,secmark
        try check(CTTarget.self, "--ctevents natseqinfo,secmark", revision: 2, expect: "00000000 00030000 00000000" + Self.zeros)
        // iptables-legacy -t raw -A OUTPUT -p tcp -j CT --helper ftp
        try check(CTTarget.self, "--helper ftp", protocol: .tcp, revision: 2, expect: "00000000 00000000 00000000 66747000" + Self.zeros)
        // iptables-legacy -t raw -A OUTPUT -j CT --notrack --zone 0x10
        try check(CTTarget.self, "--notrack --zone 0x10", revision: 2, expect: "01001000 00000000" + Self.zeros)
        // iptables-legacy -t raw -A OUTPUT -j CT
        try check(CTTarget.self, "", revision: 2, expect: "00000000 00000000" + Self.zeros)
    }

    // iptables-legacy -t raw -A PREROUTING -j NOTRACK; ip6tables-legacy -t raw -A OUTPUT -j NOTRACK
    // Both wrote CT revision 2 with flags 0x0003, which iptables-save prints as -j NOTRACK.
    @Test func notrackIsCTWithTheAliasFlag() throws {
        let bytes = hex("03000000 00000000" + Self.zeros)
        for family in Family.allCases {
            let context = ExtensionContext(family: family)
            #expect(try NotrackTarget().encodePayload(context: context) == Array(bytes.prefix(72)))
            #expect(NotrackTarget.kernelName == "CT")
            let codec = try #require(KernelCodecRegistry.standard.targetCodec(kernelName: "CT", revision: 2, family: family))
            #expect(try codec.decode(payload: ByteReader(bytes), revision: 2, context: context) == Target(NotrackTarget()))
        }
    }
}
