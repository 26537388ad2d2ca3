import Testing
import NatgateKernel
import NatgateModel

// Expected payloads are the target bytes iptables-legacy 1.8.9 wrote for the command in the comment
// (read back with libiptc in the namespace it ran in), cut to the codec's payload size: the entry
// encoder adds the padding to 8. Written 4 bytes a group, as the dump printed them.

@Suite struct ChecksumTargetCodecTests {
    @Test func checksum() throws {
        // iptables-legacy -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill
        try check(ChecksumTarget.self, "--checksum-fill", protocol: .udp, expect: "01000000 00000000")
    }
}
