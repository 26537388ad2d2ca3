import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

@Suite struct ChecksumTargetTests {
    // iptables-legacy -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill
    // iptables-legacy -t mangle -A POSTROUTING -j CHECKSUM → option "--checksum-fill" must be specified
    @Test func checksum() throws {
        #expect(saved(try target(ChecksumTarget.self, "--checksum-fill")) == "--checksum-fill")
        #expect(modelError { _ = try target(ChecksumTarget.self, "") }?.kind == .missingArgument)
        #expect(ChecksumTarget.allowedTables == [.mangle])
    }
}
