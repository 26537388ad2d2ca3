/// An option an extension accepts, such as tcp's `--dport PORT`.
public struct ExtensionOption: Hashable, Sendable {
    /// The option's spellings; the first is the canonical one, the rest are aliases (`--destination-port`).
    public var names: [String]
    /// How many words follow the option: 0 for a flag, 1 for most, 2 for `--tcp-flags MASK COMP`.
    public var argumentCount: Int
    /// Whether `!` may precede the option.
    public var negatable: Bool

    /// An option spelled `names` (canonical first), followed by `arguments` words.
    public init(_ names: String..., arguments: Int = 1, negatable: Bool = false) {
        self.names = names
        self.argumentCount = arguments
        self.negatable = negatable
    }
}

/// One option as the parser found it: its name as written, `!` or not, and its argument words
/// with quotes and escapes already removed.
public struct ParsedOption: Hashable, Sendable {
    /// The option as written, such as `--dport`.
    public var name: String
    /// Whether `!` preceded it.
    public var negated: Bool
    /// The words after it.
    public var arguments: [String]
    /// Where the option stood in the text, when it came from text.
    public var location: SourceLocation?

    /// An option as found.
    public init(name: String, negated: Bool = false, arguments: [String] = [], location: SourceLocation? = nil) {
        self.name = name
        self.negated = negated
        self.arguments = arguments
        self.location = location
    }

    /// The first argument, for the common one-argument option.
    public var argument: String { arguments.first ?? "" }

    /// An error about this option's value that names the option and the value.
    public func invalid(_ what: String) -> ModelError {
        ModelError(.invalidValue, input: arguments.joined(separator: " "), "\(name) \(arguments.joined(separator: " ")): \(what)", at: location)
    }
}

/// What an extension may need to know of the rule it stands in.
public struct ExtensionContext: Hashable, Sendable {
    /// The rule's family.
    public var family: Family
    /// The rule's `-p`, when it has one and it is not negated.
    public var ipProtocol: IPProtocol?
    /// The table the rule is in, when known.
    public var table: TableName?
    /// The chain the rule is in, when known.
    public var chain: ChainName?
    /// Where set names are resolved to the indexes the kernel stores (`-m set`), when the rule is
    /// being written to or read from a kernel.
    public var ipSets: IPSetNames?

    /// A context of what is known about the rule.
    public init(family: Family, ipProtocol: IPProtocol? = nil, table: TableName? = nil, chain: ChainName? = nil) {
        self.family = family
        self.ipProtocol = ipProtocol
        self.table = table
        self.chain = chain
    }
}

/// A match (`-m NAME …`) or target (`-j NAME …`) extension with a typed Swift model.
///
/// An extension is built empty by `init()`, receives its options one by one through `parse`, is
/// checked by `validate`, and prints itself in the canonical order through `save`, exactly as the
/// iptables extension's own `save` function prints it.
public protocol RuleExtension: Hashable, Sendable, CustomStringConvertible {
    /// The name written after `-m` or `-j`.
    static var name: String { get }
    /// The families the extension exists for.
    static var families: Set<Family> { get }
    /// The options the extension accepts.
    static var options: [ExtensionOption] { get }

    /// The name this value prints after `-m` or `-j`; the static `name` for every typed extension.
    var extensionName: String { get }

    /// An extension with no options set, for `parse` to fill.
    init()

    /// Applies one option; throws `ModelError` naming the option when its value is invalid.
    mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws

    /// Checks the whole extension once every option is applied (required options, conflicts).
    func validate(context: ExtensionContext) throws

    /// Prints the options, after `-m NAME` or `-j NAME`, as iptables-legacy-save does.
    func save(to writer: inout SaveWriter, context: ExtensionContext)
}

/// Both families, built once: `families` is asked for every extension of every rule parsed.
private let bothFamilies: Set<Family> = [.ipv4, .ipv6]

extension RuleExtension {
    public static var families: Set<Family> { bothFamilies }
    public var extensionName: String { Self.name }
    public func validate(context: ExtensionContext) throws {}

    /// The option this extension declares under `name`, if any.
    public static func option(named name: String) -> ExtensionOption? {
        options.first { $0.names.contains(name) }
    }

    public var description: String {
        var writer = SaveWriter()
        save(to: &writer, context: ExtensionContext(family: Self.families.contains(.ipv4) ? .ipv4 : .ipv6))
        return extensionName + writer.text
    }
}

/// A match extension: `-m NAME [options]`.
public protocol MatchExtension: RuleExtension {}

/// A target extension: `-j NAME [options]`.
public protocol TargetExtension: RuleExtension {
    /// The tables the kernel accepts the target in; nil for any table.
    static var allowedTables: Set<TableName>? { get }
    /// The built-in chains (hooks) the kernel accepts the target from; nil for any chain.
    static var allowedChains: Set<ChainName>? { get }
}

extension TargetExtension {
    public static var allowedTables: Set<TableName>? { nil }
    public static var allowedChains: Set<ChainName>? { nil }
}

/// Whether two extension values are of the same type and equal as that type: what comparing their
/// `AnyHashable`s says, without boxing both values (rules are compared by the ten thousand when
/// natgate diffs tables and checks drift).
func sameExtension<L: RuleExtension>(_ lhs: L, _ rhs: any RuleExtension) -> Bool {
    guard let rhs = rhs as? L else { return false }
    return lhs == rhs
}

/// One match of a rule: a typed extension, or an unknown one kept verbatim.
public struct Match: Hashable, Sendable, CustomStringConvertible {
    /// The extension itself.
    public let base: any MatchExtension

    /// A match of `base`.
    public init(_ base: any MatchExtension) { self.base = base }

    /// The name printed after `-m`.
    public var name: String { base.extensionName }

    /// The typed extension, when it is of type `T`: `rule.matches.first?.as(TCPMatch.self)`.
    public func `as`<T: MatchExtension>(_ type: T.Type) -> T? { base as? T }

    /// Whether the match is typed, as opposed to an unknown extension kept verbatim.
    public var isTyped: Bool { !(base is UnknownMatch) }

    public static func == (lhs: Match, rhs: Match) -> Bool { sameExtension(lhs.base, rhs.base) }
    public func hash(into hasher: inout Hasher) { hasher.combine(AnyHashable(base)) }
    public var description: String { base.description }
}

/// A target extension of a rule: typed, or unknown and kept verbatim.
public struct Target: Hashable, Sendable, CustomStringConvertible {
    /// The extension itself.
    public let base: any TargetExtension

    /// A target of `base`.
    public init(_ base: any TargetExtension) { self.base = base }

    /// The name printed after `-j`.
    public var name: String { base.extensionName }

    /// The typed extension, when it is of type `T`: `rule.target?.as(MasqueradeTarget.self)`.
    public func `as`<T: TargetExtension>(_ type: T.Type) -> T? { base as? T }

    /// Whether the target is typed, as opposed to an unknown extension kept verbatim.
    public var isTyped: Bool { !(base is UnknownTarget) }

    /// The tables the target is allowed in, nil for any.
    public var allowedTables: Set<TableName>? { type(of: base).allowedTables }
    /// The built-in chains the target is allowed from, nil for any.
    public var allowedChains: Set<ChainName>? { type(of: base).allowedChains }

    public static func == (lhs: Target, rhs: Target) -> Bool { sameExtension(lhs.base, rhs.base) }
    public func hash(into hasher: inout Hasher) { hasher.combine(AnyHashable(base)) }
    public var description: String { base.description }
}

/// Bytes of an extension as the kernel holds it, for extensions natgate has no type for.
///
/// The backend fills this when it reads an entry it cannot decode, so that it can write the entry
/// back byte for byte; the model only carries it.
public struct KernelBlob: Hashable, Sendable {
    /// The extension's revision, as the kernel entry gives it.
    public var revision: UInt8
    /// The payload after the 32-byte match or target header, padding included.
    public var payload: [UInt8]

    /// The bytes of one extension of `revision`.
    public init(revision: UInt8, payload: [UInt8]) {
        self.revision = revision
        self.payload = payload
    }
}

/// How `UnknownMatch` and `UnknownTarget` keep their options: as the words they came as.
enum UnknownWords {
    /// Appends `[!] NAME ARGUMENTS…` for one option.
    static func append(_ option: ParsedOption, to words: inout [String]) {
        if option.negated { words.append("!") }
        words.append(option.name)
        words += option.arguments
    }

    /// Prints the words as they came, quoting only those that would not read back as one word.
    static func save(_ words: [String], to writer: inout SaveWriter) {
        for word in words { writer.verbatim(word) }
    }
}

/// A match natgate has no type for, kept as its name and option words so nothing is lost.
public struct UnknownMatch: MatchExtension {
    public static let name = ""
    public static let options: [ExtensionOption] = []

    public var extensionName: String
    /// The words after `-m NAME`, unquoted.
    public var words: [String]
    /// The kernel's bytes, when the match was read from the kernel.
    public var kernelBlob: KernelBlob?

    public init() { self.init(name: "", words: []) }

    /// The match `-m name` with its option `words`, and its kernel bytes when read from a kernel.
    public init(name: String, words: [String], kernelBlob: KernelBlob? = nil) {
        self.extensionName = name
        self.words = words
        self.kernelBlob = kernelBlob
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        UnknownWords.append(option, to: &words)
    }

    /// Prints the words as they came, quoting only those that would not read back as one word
    /// (empty, or holding white space or a double quote).
    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        UnknownWords.save(words, to: &writer)
    }
}

/// A target natgate has no type for, kept as its name and option words so nothing is lost.
public struct UnknownTarget: TargetExtension {
    public static let name = ""
    public static let options: [ExtensionOption] = []

    public var extensionName: String
    /// The words after `-j NAME`, unquoted.
    public var words: [String]
    /// The kernel's bytes, when the target was read from the kernel.
    public var kernelBlob: KernelBlob?

    public init() { self.init(name: "", words: []) }

    /// The target `-j name` with its option `words`, and its kernel bytes when read from a kernel.
    public init(name: String, words: [String], kernelBlob: KernelBlob? = nil) {
        self.extensionName = name
        self.words = words
        self.kernelBlob = kernelBlob
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        UnknownWords.append(option, to: &words)
    }

    /// Prints the words as they came, quoting only those that would not read back as one word
    /// (empty, or holding white space or a double quote).
    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        UnknownWords.save(words, to: &writer)
    }
}
