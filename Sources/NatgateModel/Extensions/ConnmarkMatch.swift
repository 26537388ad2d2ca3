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
        try MarkOption.parse(option, into: &mark, match: Self.name)
    }

    public func validate(context: ExtensionContext) throws {
        try MarkOption.validate(mark, match: Self.name)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        MarkOption.save(mark, to: &writer)
    }
}
