/// A mark value and the mask it is compared under, as `--mark VALUE[/MASK]` takes it: the packet
/// matches when `mark & mask == value`. Numbers are read as C reads them (`0x10`, `16`, `020`).
public struct MarkPattern: Hashable, Sendable, CustomStringConvertible {
    /// The value the masked mark must equal.
    public var value: UInt32
    /// All ones when no mask was given.
    public var mask: UInt32

    /// `value/mask`; the whole mark by default.
    public init(_ value: UInt32, mask: UInt32 = .max) {
        self.value = value
        self.mask = mask
    }

    /// Parses `VALUE` or `VALUE/MASK`, each a number from 0 to 2^32-1.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ part: Substring) throws -> UInt32 {
            guard let value = MatchValueSyntax.cNumber(part, maximum: UInt64(UInt32.max)) else {
                throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)) is not a mark: write VALUE or VALUE/MASK with numbers from 0 to 0xffffffff, such as 0x10/0xff.")
            }
            return UInt32(value)
        }
        self.init(try number(parts[0]), mask: parts.count == 2 ? try number(parts[1]) : .max)
    }

    /// `0x10/0xff`, or `0x1` when the mask is all ones, as iptables-save prints it.
    public var description: String {
        let hex = "0x" + String(value, radix: 16)
        return mask == .max ? hex : hex + "/0x" + String(mask, radix: 16)
    }

    static func parse(_ option: ParsedOption) throws -> MarkPattern {
        do { return try MarkPattern(option.argument) } catch let error as ModelError { throw option.invalid(error.message) }
    }
}

/// A match of one required option, `[!] --mark VALUE[/MASK]`: `-m mark` and `-m connmark`, which
/// differ only in what the mark is (the packet's or its connection's) and in their kernel names.
public protocol MarkPatternMatch: MatchExtension {
    /// `--mark`: required.
    var mark: Negatable<MarkPattern>? { get set }
}

extension MarkPatternMatch {
    public static var options: [ExtensionOption] { [ExtensionOption("--mark", negatable: true)] }

    /// `--mark mark`, negated or not.
    public init(_ mark: MarkPattern, negated: Bool = false) {
        self.init()
        self.mark = Negatable(mark, negated: negated)
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--mark" else {
            throw ModelError(.unknownOption, input: option.name, "\(Self.name) has no option \(option.name); it takes --mark.", at: option.location)
        }
        try MatchValueSyntax.once(mark, option)
        mark = Negatable(try MarkPattern.parse(option), negated: option.negated)
    }

    public func validate(context: ExtensionContext) throws {
        guard mark != nil else {
            throw ModelError(.missingArgument, input: "-m \(Self.name)", "-m \(Self.name) needs --mark VALUE[/MASK], such as --mark 0x1.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let mark { writer.option("--mark", mark.value.description, negated: mark.negated) }
    }
}

/// `-m mark --mark VALUE[/MASK]`: the packet's netfilter mark (`skb->mark`).
///
/// Kernel: `xt_mark_mtinfo1`, revision 1. iptables-save prints `! --mark 0x10/0xff` in lowercase
/// hexadecimal, without the mask when it is all ones.
public struct MarkMatch: MarkPatternMatch {
    public static let name = "mark"
    public var mark: Negatable<MarkPattern>?
    public init() {}
}
