/// `-m comment --comment TEXT`: a note on the rule, matching every packet.
///
/// Kernel: `xt_comment_info`, revision 0, 256 bytes of NUL-terminated text (at most 255 characters).
public struct CommentMatch: MatchExtension {
    public static let name = "comment"
    public static let options = [ExtensionOption("--comment")]
    public static let maximumLength = 255

    public var comment: String

    public init() { comment = "" }

    public init(_ comment: String) throws {
        self.init()
        try parse(ParsedOption(name: "--comment", arguments: [comment]), context: ExtensionContext(family: .ipv4))
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        let text = option.argument
        guard text.utf8.count <= CommentMatch.maximumLength else {
            throw option.invalid("the comment is \(text.utf8.count) bytes long; the kernel keeps at most \(CommentMatch.maximumLength). Shorten it.")
        }
        guard !text.utf8.contains(0) else { throw option.invalid("the comment contains a NUL byte, which the kernel cannot store.") }
        comment = text
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--comment", quoting: comment)
    }
}
