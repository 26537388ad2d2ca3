/// `-m comment --comment TEXT`: a note on the rule, matching every packet.
///
/// Kernel: `xt_comment_info`, revision 0, 256 bytes of NUL-terminated text (at most 255 characters).
public struct CommentMatch: MatchExtension {
    public static let name = "comment"
    public static let options = [ExtensionOption("--comment")]
    /// The longest comment the kernel stores, in bytes.
    public static let maximumLength = 255

    /// The text, at most 255 UTF-8 bytes, no NUL.
    public var comment: String { didSet { isGiven = true } }
    /// Whether `--comment` was given (or `comment` set): iptables refuses `-m comment` alone.
    /// Not part of the value: two matches with the same text are equal.
    private var isGiven = false

    public init() { comment = "" }

    public static func == (lhs: CommentMatch, rhs: CommentMatch) -> Bool { lhs.comment == rhs.comment }
    public func hash(into hasher: inout Hasher) { hasher.combine(comment) }

    /// A comment match of `comment`.
    ///
    /// - Throws: `ModelError` (`.invalidValue`) when it is longer than `maximumLength` bytes.
    public init(_ comment: String) throws {
        self.init()
        try parse(ParsedOption(name: "--comment", arguments: [comment]), context: ExtensionContext(family: .ipv4))
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--comment" else {
            throw ModelError(.unknownOption, input: option.name, "comment has no option \(option.name); it takes --comment.", at: option.location)
        }
        if isGiven {
            throw ModelError(.notAllowed, input: option.name, "--comment is given twice: give it once.", at: option.location)
        }
        guard !option.negated else { throw option.invalid("--comment cannot be negated.") }
        let text = option.argument
        guard text.utf8.count <= CommentMatch.maximumLength else {
            throw option.invalid("the comment is \(text.utf8.count) bytes long; the kernel keeps at most \(CommentMatch.maximumLength). Shorten it.")
        }
        guard !text.utf8.contains(0) else { throw option.invalid("the comment contains a NUL byte, which the kernel cannot store.") }
        comment = text
    }

    public func validate(context: ExtensionContext) throws {
        guard isGiven else {
            throw ModelError(.missingArgument, input: "-m comment", "-m comment needs --comment TEXT.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--comment", quoting: comment)
    }
}
