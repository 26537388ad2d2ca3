import Testing
@testable import NatgateModel

/// Expected strings are what `iptables-legacy-save` printed after `iptables-legacy -A INPUT -m comment --comment …`.
@Suite struct CommentMatchTests {
    @Test(arguments: [
        ("hello", "--comment hello"),
        ("hello world", "--comment \"hello world\""),
        ("", "--comment \"\""),
        // iptables-legacy -A INPUT -m comment --comment 'a"b\c'"'"'d'
        ("a\"b\\c'd", "--comment \"a\\\"b\\\\c\\'d\""),
        ("héllo wörld", "--comment \"héllo wörld\""),
        ("x$y`z", "--comment \"x$y`z\""),
        ("natgate:gw-10.200.1.0_24", "--comment \"natgate:gw-10.200.1.0_24\""),
    ])
    func savesQuotedAsIptablesLegacySave(comment: String, expected: String) throws {
        #expect(MatchWords.save(try CommentMatch(comment)) == expected)
    }

    @Test func theKernelKeeps255Bytes() throws {
        #expect(throws: Never.self) { try CommentMatch(String(repeating: "a", count: 255)) }
        let error = #expect(throws: ModelError.self) { try CommentMatch(String(repeating: "a", count: 256)) }
        #expect(error?.description.contains("--comment") == true)
        // Multi-byte characters count as their UTF-8 bytes.
        #expect(throws: ModelError.self) { try CommentMatch(String(repeating: "é", count: 128)) }
    }
}
