import Testing
import NatgateKernel
import NatgateModel

@Suite struct CommentMatchCodecTests {
    @Test func encodesAsIptablesLegacy() throws {
        // iptables-legacy -A INPUT -m comment --comment "héllo wörld": 256 bytes, NUL-padded (revision 0).
        let golden = MatchGolden.bytes("68 c3 a9 6c 6c 6f 20 77 c3 b6 72 6c 64") + [UInt8](repeating: 0, count: 243)
        let match = try CommentMatch("héllo wörld")
        #expect(try MatchGolden.entryPayload(match) == golden)
        #expect(try MatchGolden.decode(CommentMatch.self, golden) == Match(match))
    }
}
