// The lean parse of iptables-save text: what `natgate fmt` and `natgate restore` read tens of
// thousands of rules with, without a model `Rule` for each.
//
// Most lines of a large file differ only in their addresses, interfaces and comment, as the rules
// of 10,000 gateways do. The lean parse splits each `-A` line into words once, replaces those
// values by placeholders, and looks the rest up: the line's *shape*. The first line of a shape is
// parsed into the model as before; what the model prints for it becomes the shape's text, with
// holes for the values. The second line of the shape is parsed into the model too, and must print
// exactly as the shape fills it in, or the shape is dropped and all its lines go through the model.
// Every later line of the shape costs a split, a lookup and the parse of its values, whose
// meaning (addresses, interface names, comments) is checked here exactly as the model checks it.
//
// Anything the lean parse does not recognise goes through the model line by line (one rule of a
// table can be a model rule, the next a lean one), and a text that edits rules already given
// (`-I`, `-R`, `-D`, `-F`, `-X`) is parsed into the model whole. Errors are always the model's.

/// iptables-save text parsed for speed: rules that share a shape with other lines are kept as
/// their line and printed (or encoded into kernel entries) from the shape, every other rule is a
/// model rule.
///
/// What `natgate fmt` and `natgate restore` read text with. It prints exactly what
/// `Ruleset(saveText:family:registry:)` then `saveText()` print, and fails with the same errors,
/// at about a tenth of the cost for files of many similar rules (tens of thousands of gateways).
///
/// ```swift
/// if let lean = try LeanRuleset(saveText: text, family: .ipv4) {
///     print(String(decoding: lean.saveText(), as: UTF8.self), terminator: "")
/// }
/// ```
public struct LeanRuleset: Sendable {
    /// The family of every table.
    public let family: Family
    /// The text parsed: lean rules point into it.
    package let text: [UInt8]
    /// The tables, in the order the text first gives them (a table given twice keeps its second block).
    package internal(set) var tables: [LeanTable]
    /// The shapes lean rules refer to by index.
    package internal(set) var shapes: [LeanShape]
    /// The registry the text was parsed with.
    let registry: ExtensionRegistry

    /// Parses `text` as `Ruleset(saveText:family:registry:)` does, or returns nil when the text
    /// edits rules it gave earlier (`-I`, `-R`, `-D`, `-F`, `-X`): parse it into the model then.
    ///
    /// - Throws: `ModelError`, the same as the model parse throws for the same text.
    public init?(saveText: String, family: Family, registry: ExtensionRegistry = .standard) throws {
        var parser = SaveTextParser(family: family, registry: registry)
        do {
            self = try parser.parseLean(Array(saveText.utf8))
        } catch is LeanFallback {
            return nil
        }
    }

    init(family: Family, text: [UInt8], tables: [LeanTable], shapes: [LeanShape], registry: ExtensionRegistry) {
        self.family = family
        self.text = text
        self.tables = tables
        self.shapes = shapes
        self.registry = registry
    }

    /// How many rules the tables hold, and how many of them are lean (printed and encoded from
    /// their shape rather than from a model rule).
    public var ruleCounts: (rules: Int, lean: Int) {
        var rules = 0
        var lean = 0
        for table in tables {
            for chain in table.rules {
                rules += chain.count
                for rule in chain { if case .fast = rule { lean += 1 } }
            }
        }
        return (rules, lean)
    }

    /// The network a `-s`/`-d` word of the text reads as.
    package func network(_ word: Range<Int>) -> IPNetwork? {
        LeanScanner.scanNetwork(text[word], family: family)
    }

    /// The `[packets:bytes]` a lean rule's line starts with, if any.
    package func counters(_ rule: FastRule) -> Counters? {
        LeanRuleset.counters(of: rule, in: text)
    }

    /// The `[packets:bytes]` a lean rule's line in `text` starts with, if any.
    static func counters(of rule: FastRule, in text: [UInt8]) -> Counters? {
        let line = text[rule.bytes]
        guard line.first == UInt8(ascii: "[") else { return nil }
        var index = line.startIndex
        return LeanScanner.scanCounters(line, &index)
    }

    /// The same text restricted to one table (`iptables-restore --table`); no table when the text
    /// has none of that name.
    public func only(_ table: TableName) -> LeanRuleset {
        var copy = self
        copy.tables = tables.filter { $0.table.name == table }
        return copy
    }

    /// The model rule of a lean rule of `table`: its line parsed again into the model. For the
    /// rules whose shape a caller cannot use.
    package func modelRule(_ rule: FastRule, table: LeanTable) throws -> Rule {
        let shape = shapes[rule.shape]
        let userChains = Set(table.table.chains.filter { !table.table.name.isBuiltin($0.name) }.map(\.name.rawValue))
        var line = text[rule.bytes]
        var counters: Counters?
        if line.first == UInt8(ascii: "["), let close = line.firstIndex(of: UInt8(ascii: "]")) {
            counters = self.counters(rule)
            line = line[(close + 1)...]
        }
        // `-A CHAIN` is two words: the rest is the rule.
        var tokens = try SaveTokenizer.tokenize(line, line: rule.line)[...]
        tokens = tokens.dropFirst(2)
        let parser = RuleParser(family: family, registry: registry, table: shape.table, chain: shape.chain, isUserChain: { userChains.contains($0) })
        let parsed = try parser.parse(tokens, counters: counters, end: SourceLocation(line: rule.line, column: rule.bytes.count + 1))
        guard parsed.rules.count == 1, let result = parsed.rules.first else {
            throw ModelError(.syntax, input: String(decoding: text[rule.bytes], as: UTF8.self), "this line no longer reads as one rule", at: SourceLocation(line: rule.line, column: 1))
        }
        return result
    }
}

/// One table of a `LeanRuleset`.
package struct LeanTable: Sendable {
    /// The table as the text declares it: its chains and their policies and counters, no rules.
    package var table: Table
    /// The rules of each chain of `table.chains`, in the same order.
    package var rules: [[LeanRule]]

    /// The rules of `chain`, empty when the table has no such chain.
    package func rules(of chain: ChainName) -> [LeanRule] {
        guard let index = table.chains.firstIndex(where: { $0.name == chain }) else { return [] }
        return rules[index]
    }
}

/// A rule of a `LeanRuleset`: a model rule, or a line of a known shape.
package enum LeanRule: Sendable {
    /// A rule parsed into the model (boxed: a lean rule is a fraction of a model rule's size).
    indirect case model(Rule)
    /// A line whose shape prints and encodes it.
    case fast(FastRule)
}

/// A line of a known shape: which shape, where the line is, and where its values' words are
/// (plain IPv4 addresses as read). 48 bytes a rule keep the memory of 40,000 rules small; the
/// values are read from their words when a line is printed or encoded.
package struct FastRule: Sendable {
    private var shape32: Int32
    private var line32: Int32
    private var start: Int32
    private var end: Int32
    /// Where the words of `-s`, `-d`, `-i`, `-o` and the comment are in the line: offset from the
    /// line's start in the high 16 bits, length in the low 16; `absent` when not given.
    private var source: UInt32
    private var destination: UInt32
    private var inInterface: UInt32
    private var outInterface: UInt32
    private var comment: UInt32
    /// `-s` and `-d` read as plain dotted quads: address, and prefix length (`notPlain` when the
    /// word is of another form, read again from the text).
    private var sourceAddress: UInt32
    private var destinationAddress: UInt32
    private var sourceLength: UInt8
    private var destinationLength: UInt8

    static let absent = UInt32.max
    static let notPlain = UInt8.max
    /// The longest line a lean rule can be (offsets are 16 bits).
    static let maximumLength = 0xFFFF

    init(shape: Int, line: Int, bytes: Range<Int>, values: FastValues) {
        shape32 = Int32(truncatingIfNeeded: shape)
        line32 = Int32(truncatingIfNeeded: line)
        start = Int32(truncatingIfNeeded: bytes.lowerBound)
        end = Int32(truncatingIfNeeded: bytes.upperBound)
        func pack(_ range: Range<Int>?) -> UInt32 {
            guard let range else { return FastRule.absent }
            return UInt32(range.lowerBound - bytes.lowerBound) << 16 | UInt32(range.count)
        }
        source = pack(values.sourceText)
        destination = pack(values.destinationText)
        sourceAddress = values.sourceV4?.address ?? 0
        sourceLength = values.sourceV4.map { UInt8($0.length) } ?? FastRule.notPlain
        destinationAddress = values.destinationV4?.address ?? 0
        destinationLength = values.destinationV4.map { UInt8($0.length) } ?? FastRule.notPlain
        inInterface = pack(values.inText)
        outInterface = pack(values.outText)
        comment = pack(values.comment)
    }

    private func unpack(_ packed: UInt32) -> Range<Int>? {
        guard packed != FastRule.absent else { return nil }
        let from = Int(start) + Int(packed >> 16)
        return from..<(from + Int(packed & 0xFFFF))
    }

    /// The words of the line's values, as ranges of the text: `-s`, `-d`, `-i`, `-o` and the
    /// comment's text (unquoted).
    package var sourceText: Range<Int>? { unpack(source) }
    package var destinationText: Range<Int>? { unpack(destination) }
    package var inText: Range<Int>? { unpack(inInterface) }
    package var outText: Range<Int>? { unpack(outInterface) }
    package var commentText: Range<Int>? { unpack(comment) }
    /// `-s` and `-d` when the line wrote them as plain dotted quads: the address as read (host
    /// bits not cleared) and the prefix length.
    package var sourceV4: (address: UInt32, length: Int)? { sourceLength == FastRule.notPlain ? nil : (sourceAddress, Int(sourceLength)) }
    package var destinationV4: (address: UInt32, length: Int)? { destinationLength == FastRule.notPlain ? nil : (destinationAddress, Int(destinationLength)) }

    /// Its shape, an index into `LeanRuleset.shapes`.
    package var shape: Int {
        get { Int(shape32) }
        set { shape32 = Int32(truncatingIfNeeded: newValue) }
    }
    /// Its line number in the text.
    package var line: Int { Int(line32) }
    /// The line's bytes in the text, counters included.
    package var bytes: Range<Int> { Int(start)..<Int(end) }
}

/// Where a scanned line's values are: the words the placeholders of its shape take.
package struct FastValues: Sendable {
    /// Whether each of `-s`, `-d`, `-i`, `-o` is negated (`!` before it).
    package var sourceNegated = false
    package var destinationNegated = false
    package var inNegated = false
    package var outNegated = false
    /// The text of the first `-m comment --comment TEXT`, unquoted, as a range of the text.
    package var comment: Range<Int>?
    /// The words of `-s`, `-d`, `-i` and `-o` (checked by the scanner), as ranges of the text.
    var sourceText: Range<Int>?
    var destinationText: Range<Int>?
    /// `-s` and `-d` when they are plain dotted quads (host bits not cleared yet): the address
    /// and prefix length the scanner read, so that nothing reads them again.
    var sourceV4: (address: UInt32, length: Int)?
    var destinationV4: (address: UInt32, length: Int)?
    var inText: Range<Int>?
    var outText: Range<Int>?

    package init() {}
}

/// What lines of one shape share: their table and chain, the model rule of the first of them,
/// and the canonical text around their values.
package struct LeanShape: Sendable {
    /// How far the shape has been checked against the model.
    package enum State: Sendable {
        /// One line parsed; the next one checks the shape.
        case prototyped
        /// Two lines parsed, and the shape printed the second exactly as the model did.
        case verified
        /// The shape cannot stand for its lines: each goes through the model.
        case model
    }

    /// The table of its lines.
    package var table: TableName
    /// The chain of its lines.
    package var chain: ChainName
    /// The first line of the shape, parsed into the model, without counters.
    package var prototype: Rule
    /// The first line's values: where its words are and which header options are negated (the
    /// negations are the shape's: `!` is a word of its key).
    package var prototypeValues: FastValues
    /// The second line, parsed into the model without counters, and its values; nil until then.
    package var witness: Rule?
    /// The second line itself, which users of the shape check their filling against.
    package var witnessLine: FastRule?
    /// How far the shape is checked.
    package var state: State
    /// The canonical text after the header (`-s`, `-d`, `-i`, `-o`) up to the comment's text, or
    /// to the end of the line when the shape has no comment placeholder.
    var head: [UInt8]
    /// The canonical text after the comment's text.
    var tail: [UInt8]
}

/// Thrown inside the lean parse when the text needs the model parse.
struct LeanFallback: Error {}

/// The lean parse's state inside `SaveTextParser`.
struct LeanState {
    /// Whether two runs of bytes are equal (through pointers: `elementsEqual` on slices showed in
    /// profiles).
    static func same(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for index in 0..<x.count where x[index] != y[index] { return false }
                return true
            }
        }
    }


    var text: [UInt8] = []
    var tables: [LeanTable] = []
    var shapes: [LeanShape] = []
    /// The shapes by the hash of their key (FNV-1a: hashing a key byte by byte through `Hasher`
    /// showed in profiles), each with its key, for the rare collision.
    var shapeIndex: [UInt64: [(key: [UInt8], shape: Int)]] = [:]
    /// The key of the line being looked at, reused from line to line.
    /// Made by `parseLean` only: a model parse has no use for its buffers.
    var key: LeanScanner.KeyBuffer?
    /// The built-in chains of the current table that a `:CHAIN` line or `-P` gave a policy.
    var declaredBuiltins: Set<ChainName> = []
    /// The rules of the current table's chains, by index in `table.chains`.
    var rules: [[LeanRule]] = []
    /// The last chain name looked up, and its index, so that a run of lines of one chain makes no
    /// string for its name.
    var lastChain: ArraySlice<UInt8> = []
    var lastChainIndex = -1
}
