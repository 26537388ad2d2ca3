import Testing
import NatgateModel

// Placeholder home for policy tests; checks the model's quoting the compiler's comments rely on.
@Suite struct CommentQuotingTests {
    @Test func commentsWithSpacesAreQuotedAsIptablesSaveDoes() throws {
        var writer = SaveWriter()
        try CommentMatch("natgate: 10.200.1.0/24 via eth0").save(to: &writer, context: ExtensionContext(family: .ipv4))
        #expect(writer.text == #" --comment "natgate: 10.200.1.0/24 via eth0""#)
        var plain = SaveWriter()
        try CommentMatch("natgate-gw1").save(to: &plain, context: ExtensionContext(family: .ipv4))
        #expect(plain.text == " --comment natgate-gw1")
    }
}
