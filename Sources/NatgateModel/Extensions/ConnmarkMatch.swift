/// `-m connmark --mark VALUE[/MASK]`: the mark of the packet's connection tracking entry.
///
/// Kernel: `xt_connmark_mtinfo1`, revision 1. iptables-save prints it as `mark` does.
public struct ConnmarkMatch: MatchExtension {
    public static let name = "connmark"
    public static let options = [ExtensionOption("--mark", negatable: true)]

    /// `--mark`: required.
    public var mark: Negatable<MarkPattern>?

    public init() {}

    public init(_ mark: MarkPattern, negated: Bool = false) {
        self.mark = Negatable(mark, negated: negated)
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--mark" else {
            throw ModelError(.unknownOption, input: option.name, "connmark has no option \(option.name); it takes --mark.", at: option.location)
        }
        try MatchValueSyntax.once(mark, option)
        mark = Negatable(try MarkPattern.parse(option), negated: option.negated)
    }

    public func validate(context: ExtensionContext) throws {
        guard mark != nil else {
            throw ModelError(.missingArgument, input: "-m connmark", "-m connmark needs --mark VALUE[/MASK], such as --mark 0x1.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let mark { writer.option("--mark", mark.value.description, negated: mark.negated) }
    }
}
