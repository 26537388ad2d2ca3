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

    /// The counters and values of a lean rule, read from its words (which read as they did
    /// when the line was parsed).
    package func scan(_ rule: FastRule) -> (counters: Counters?, values: FastValues) {
        var values = shapes[rule.shape].prototypeValues
        values.sourceText = rule.sourceText
        values.destinationText = rule.destinationText
        values.sourceV4 = rule.sourceV4
        values.destinationV4 = rule.destinationV4
        values.inText = rule.inText
        values.outText = rule.outText
        values.comment = rule.commentText
        LeanScanner.materialize(&values, text: text, family: family)
        return (counters(rule), values)
    }

    /// The network a `-s`/`-d` word of the text reads as.
    package func network(_ word: Range<Int>) -> IPNetwork? {
        LeanScanner.scanNetwork(text[word], family: family)
    }

    /// The `[packets:bytes]` a lean rule's line starts with, if any.
    package func counters(_ rule: FastRule) -> Counters? {
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
            counters = scan(rule).counters
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

/// A line of a known shape: which shape, and where the line is. Its values are read again from
/// the line when it is printed or encoded (`LeanRuleset.scan(_:)`): 16 bytes a rule keep the
/// memory of 40,000 rules small, and reading a line's values costs less than storing them.
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

/// The values a line gives to the placeholders of its shape.
package struct FastValues: Sendable {
    /// `-s`, host bits cleared, when given.
    package var source: IPNetwork?
    /// `-d`, host bits cleared, when given.
    package var destination: IPNetwork?
    /// `-i`, when given.
    package var inInterface: InterfaceName?
    /// `-o`, when given.
    package var outInterface: InterfaceName?
    /// Whether each of `-s`, `-d`, `-i`, `-o` is negated (`!` before it).
    package var sourceNegated = false
    package var destinationNegated = false
    package var inNegated = false
    package var outNegated = false
    /// The text of the first `-m comment --comment TEXT`, unquoted, as a range of the text.
    package var comment: Range<Int>?
    /// The words of `-s`, `-d`, `-i` and `-o`, as ranges of the text.
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
    /// The first line's values.
    package var prototypeValues: FastValues
    /// The second line, parsed into the model without counters, and its values; nil until then.
    package var witness: Rule?
    /// The second line's values.
    package var witnessValues: FastValues?
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

extension SaveTextParser {
    static let ruleEditingCommands: Set<String> = ["-I", "--insert", "-R", "--replace", "-D", "--delete", "-F", "--flush", "-X", "--delete-chain"]

    /// The lean parse of `text`; see `LeanRuleset`.
    mutating func parseLean(_ text: [UInt8]) throws -> LeanRuleset {
        isLean = true
        lean = LeanState()
        lean.key = LeanScanner.KeyBuffer(capacity: LeanScanner.keyCapacity)
        lean.text = text
        var lineNumber = 0
        var start = 0
        while start < text.count {
            lineNumber += 1
            let end = LeanScanner.newline(in: text, from: start)
            var lineEnd = end
            while lineEnd > start, text[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            try parseLine(text[start..<lineEnd], line: lineNumber)
            start = end + 1
        }
        if let current {
            throw ModelError(
                .syntax, input: "",
                "COMMIT expected: the table \(current.name) started on line \(tableLine) is never committed; end it with a line COMMIT",
                at: SourceLocation(line: lineNumber + 1, column: 1))
        }
        let state = lean
        lean = LeanState()
        isLean = false
        return LeanRuleset(family: family, text: state.text, tables: state.tables, shapes: state.shapes, registry: registry)
    }

    /// Adds rules to chain `index` of the current table.
    mutating func appendLean(_ rules: [LeanRule], chain index: Int) {
        while lean.rules.count <= index { lean.rules.append([]) }
        lean.rules[index] += rules
    }

    /// Adds one rule to chain `index` of the current table.
    mutating func appendLean(_ rule: LeanRule, chain index: Int) {
        while lean.rules.count <= index { lean.rules.append([]) }
        lean.rules[index].append(rule)
    }

    /// The lean half of COMMIT: a jump to a chain declared after the rule that names it, as
    /// `commit(_:)` does for the model, then the table kept with its rules.
    mutating func commitLean(_ table: Table) {
        var rules = lean.rules
        while rules.count < table.chains.count { rules.append([]) }
        let userChains = Set(table.chains.filter { !table.name.isBuiltin($0.name) }.map(\.name.rawValue))
        for c in rules.indices {
            for r in rules[c].indices {
                if case .model(var rule) = rules[c][r], case .extension(let target)? = rule.target, let unknown = target.as(UnknownTarget.self),
                    unknown.words.isEmpty, userChains.contains(unknown.extensionName), let name = try? ChainName(unknown.extensionName)
                {
                    rule.target = .jump(name)
                    rules[c][r] = .model(rule)
                }
            }
        }
        // A built-in chain the text neither declares nor adds to is left out, as
        // iptables-legacy-restore leaves it: a restore keeps its policy and counters (the model
        // parse gives it ACCEPT). Printing puts it back as ACCEPT [0:0], as the model does.
        var table = table
        for index in table.chains.indices.reversed()
        where table.name.isBuiltin(table.chains[index].name) && !lean.declaredBuiltins.contains(table.chains[index].name) && rules[index].isEmpty {
            table.chains.remove(at: index)
            rules.remove(at: index)
        }
        let leanTable = LeanTable(table: table, rules: rules)
        if let index = lean.tables.firstIndex(where: { $0.table.name == table.name }) {
            lean.tables[index] = leanTable
        } else {
            lean.tables.append(leanTable)
        }
        lean.rules = []
        lean.lastChainIndex = -1
        lean.declaredBuiltins = []
    }

    /// Adds `line` as a lean rule when it is an `-A` line of a shape that stands for it; false
    /// leaves the line to the model parse.
    mutating func appendFast(_ line: ArraySlice<UInt8>, line number: Int) throws -> Bool {
        guard let tableName = current?.name else { return false }
        // Taken out of the state, so that clearing it does not copy it.
        guard let key = lean.key else { return false }
        // Taken out of the state, so that filling it does not copy it.
        guard var scanned = LeanScanner.scan(line, family: family, key: key) else { return false }

        // The chain, by index; an unknown one is the model parse's error to word.
        let chainBytes = line[scanned.chain]
        let index: Int
        if lean.lastChainIndex >= 0, LeanState.same(lean.lastChain, chainBytes) {
            index = lean.lastChainIndex
        } else {
            guard let found = chainIndex[String(decoding: chainBytes, as: UTF8.self)] else { return false }
            index = found
            lean.lastChain = chainBytes
            lean.lastChainIndex = found
        }
        key.append(0xFF)
        key.append(contentsOf: tableName.rawValue.utf8)
        key.append(0xFF)
        key.append(contentsOf: chainBytes)

        var rule = FastRule(shape: 0, line: number, bytes: line.startIndex..<line.endIndex, values: scanned.values)
        let hash = key.hash
        if let shape = lean.shapeIndex[hash]?.first(where: { key.equals($0.key) })?.shape {
            rule.shape = shape
            switch lean.shapes[shape].state {
            case .verified:
                appendLean(.fast(rule), chain: index)
                return true
            case .model:
                return false
            case .prototyped:
                // The second line of the shape: the model must print it as the shape does.
                LeanScanner.materialize(&scanned.values, text: lean.text, family: family)
                guard let rules = try modelRules(line, line: number), rules.count == 1, rules[0].counters == scanned.counters else {
                    lean.shapes[shape].state = .model
                    return false
                }
                let model = rules[0]
                var expected = SaveWriter()
                model.withoutCounters.writeLine(to: &expected, family: family, table: tableName, chain: lean.shapes[shape].chain)
                var printed: [UInt8] = []
                LeanRuleset.appendLine(nil, scanned.values, shape: lean.shapes[shape], text: lean.text, to: &printed)
                guard printed.elementsEqual(expected.text.utf8) else {
                    lean.shapes[shape].state = .model
                    appendLean(.model(model), chain: index)
                    return true
                }
                lean.shapes[shape].state = .verified
                lean.shapes[shape].witness = model.withoutCounters
                lean.shapes[shape].witnessValues = scanned.values
                appendLean(.fast(rule), chain: index)
                return true
            }
        }

        // A new shape: this line through the model, and its text split around the values.
        LeanScanner.materialize(&scanned.values, text: lean.text, family: family)
        guard let chain = current?.chains[index].name else { return false }
        guard let rules = try modelRules(line, line: number) else { return false }
        let shapeNumber = lean.shapes.count
        lean.shapeIndex[hash, default: []].append((Array(key.bytes), shapeNumber))
        var shape = LeanShape(
            table: tableName, chain: chain, prototype: rules.first?.withoutCounters ?? Rule(), prototypeValues: scanned.values,
            state: .model, head: [], tail: [])
        defer { lean.shapes.append(shape) }
        // `-c PACKETS BYTES` is a word of the key, not a value: such lines print from the model.
        guard rules.count == 1, !LeanRuleset.hasUnresolvedTarget(rules[0]), rules[0].counters == scanned.counters else {
            appendLean(rules.map(LeanRule.model), chain: index)
            return true
        }
        var writer = SaveWriter()
        rules[0].withoutCounters.writeLine(to: &writer, family: family, table: tableName, chain: chain)
        let canonical = Array(writer.text.utf8)
        var header: [UInt8] = []
        LeanRuleset.appendHeader(scanned.values, chain: chainBytes, to: &header)
        if canonical.starts(with: header), canonical.count == header.count || canonical[header.count] == UInt8(ascii: " ") {
            let rest = canonical[header.count...]
            if let comment = scanned.values.comment {
                var needle = Array(" -m comment --comment ".utf8)
                LeanRuleset.appendQuoted(lean.text[comment], to: &needle)
                if let found = LeanRuleset.onlyOccurrence(of: needle, in: rest) {
                    let valueStart = found + needle.count - LeanRuleset.quotedCount(lean.text[comment])
                    shape.head = Array(rest[rest.startIndex..<valueStart])
                    shape.tail = Array(rest[(found + needle.count)...])
                    shape.state = .prototyped
                }
            } else {
                shape.head = Array(rest)
                shape.state = .prototyped
            }
        }
        if shape.state == .prototyped {
            var printed: [UInt8] = []
            rule.shape = shapeNumber
            LeanRuleset.appendLine(nil, scanned.values, shape: shape, text: lean.text, to: &printed)
            if printed != canonical { shape.state = .model }
        }
        if shape.state == .prototyped {
            rule.shape = shapeNumber
            appendLean(.fast(rule), chain: index)
        } else {
            appendLean(rules.map(LeanRule.model), chain: index)
        }
        return true
    }

    /// The rules of one `-A` line, parsed into the model in the current state; nil when the line
    /// is not an `-A` line after all.
    private mutating func modelRules(_ line: ArraySlice<UInt8>, line number: Int) throws -> [Rule]? {
        capture = []
        defer { capture = nil }
        try command(line, line: number)
        return capture
    }
}

extension LeanRuleset {
    /// Whether the rule's target is a name the parser could not resolve yet (a chain declared
    /// later, or a mistake): such a rule is settled at COMMIT, so it has no shape.
    static func hasUnresolvedTarget(_ rule: Rule) -> Bool {
        if case .extension(let target)? = rule.target, target.as(UnknownTarget.self) != nil { return true }
        return false
    }

    /// The canonical text of the rules, as `Ruleset.saveText()` prints the same text parsed into
    /// the model: `natgate fmt`'s output, as UTF-8 bytes.
    public func saveText() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 8 + 1024)
        let shapeText = shapes.map(ShapeText.init)
        for lean in tables {
            var complete = lean.table
            for builtin in complete.name.builtinChains where complete.chain(named: builtin) == nil {
                complete.chains.append(Chain(name: builtin, policy: .accept))
            }
            let positions = Dictionary(lean.table.chains.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            let ordered = complete.canonicallyOrdered
            out.append(contentsOf: "*\(complete.name.rawValue)\n".utf8)
            for chain in ordered.chains {
                let builtin = complete.name.isBuiltin(chain.name)
                let policy = builtin ? (chain.policy ?? .accept).rawValue : "-"
                out.append(contentsOf: ":\(chain.name.rawValue) \(policy) \(builtin ? chain.counters : .zero)\n".utf8)
            }
            for chain in ordered.chains {
                guard let position = positions[chain.name], position < lean.rules.count else { continue }
                for rule in lean.rules[position] {
                    switch rule {
                    case .model(let model):
                        var writer = SaveWriter()
                        model.writeLine(to: &writer, family: family, table: complete.name, chain: chain.name)
                        out.append(contentsOf: writer.text.utf8)
                    case .fast(let fast):
                        appendLine(fast, to: &out, shapeText: shapeText)
                    }
                    out.append(UInt8(ascii: "\n"))
                }
            }
            out.append(contentsOf: "COMMIT\n".utf8)
        }
        return out
    }

    /// Appends the canonical line of a lean rule from its words: `appendLine(_:_:shape:text:to:)`
    /// without making its values.
    func appendLine(_ rule: FastRule, to out: inout [UInt8], shapeText: [ShapeText]) {
        let shape = shapeText[rule.shape]
        if text[rule.bytes.lowerBound] == UInt8(ascii: "["), let counters = counters(rule) {
            out.append(contentsOf: counters.description.utf8)
            out.append(UInt8(ascii: " "))
        }
        out.append(contentsOf: shape.prefix)
        func option(_ letter: UInt8, negated: Bool) {
            if negated {
                out.append(UInt8(ascii: " "))
                out.append(UInt8(ascii: "!"))
            }
            out.append(UInt8(ascii: " "))
            out.append(UInt8(ascii: "-"))
            out.append(letter)
            out.append(UInt8(ascii: " "))
        }
        func network(_ letter: UInt8, _ range: Range<Int>?, _ v4: (address: UInt32, length: Int)?, negated: Bool) {
            guard let range else { return }
            let word = text[range]
            if let (address, length) = v4 {
                guard negated || length != 0 else { return }
                option(letter, negated: negated)
                IPv4Network(masking: IPv4Address(rawValue: address), prefixLength: length).address.appendText(to: &out)
                out.append(UInt8(ascii: "/"))
                LeanRuleset.appendDecimal(length, to: &out)
                return
            }
            guard let parsed = LeanScanner.scanNetwork(word, family: family), negated || !parsed.isAny else { return }
            option(letter, negated: negated)
            out.append(contentsOf: parsed.description.utf8)
        }
        func interface(_ letter: UInt8, _ range: Range<Int>?, negated: Bool) {
            guard let range else { return }
            option(letter, negated: negated)
            out.append(contentsOf: text[range])
        }
        network(UInt8(ascii: "s"), rule.sourceText, rule.sourceV4, negated: shape.sourceNegated)
        network(UInt8(ascii: "d"), rule.destinationText, rule.destinationV4, negated: shape.destinationNegated)
        interface(UInt8(ascii: "i"), rule.inText, negated: shape.inNegated)
        interface(UInt8(ascii: "o"), rule.outText, negated: shape.outNegated)
        out.append(contentsOf: shape.head)
        if let comment = rule.commentText {
            LeanRuleset.appendQuoted(text[comment], to: &out)
            out.append(contentsOf: shape.tail)
        }
    }

    /// What printing a shape's lines needs, gathered once per shape: `-A CHAIN` as bytes, which
    /// header options are negated, and the text around the comment.
    struct ShapeText {
        var prefix: [UInt8]
        var head: [UInt8]
        var tail: [UInt8]
        var sourceNegated: Bool
        var destinationNegated: Bool
        var inNegated: Bool
        var outNegated: Bool

        init(_ shape: LeanShape) {
            prefix = Array("-A \(shape.chain.rawValue)".utf8)
            head = shape.head
            tail = shape.tail
            sourceNegated = shape.prototypeValues.sourceNegated
            destinationNegated = shape.prototypeValues.destinationNegated
            inNegated = shape.prototypeValues.inNegated
            outNegated = shape.prototypeValues.outNegated
        }
    }

    /// Appends the canonical line of a lean rule: `[p:b] -A CHAIN`, its header, then the shape's
    /// text around its comment.
    static func appendLine(_ counters: Counters?, _ values: FastValues, shape: LeanShape, text: [UInt8], to out: inout [UInt8]) {
        if let counters {
            out.append(contentsOf: counters.description.utf8)
            out.append(UInt8(ascii: " "))
        }
        appendHeader(values, chain: shape.chain.rawValue.utf8, to: &out)
        out.append(contentsOf: shape.head)
        if let comment = values.comment {
            appendQuoted(text[comment], to: &out)
            out.append(contentsOf: shape.tail)
        }
    }

    /// Appends `-A CHAIN` and the header words iptables-save prints for the values: `-s`, `-d`,
    /// `-i`, `-o`, each only when it tests something, as `Rule.write` prints them.
    static func appendHeader<C: Collection>(_ values: FastValues, chain: C, to out: inout [UInt8]) where C.Element == UInt8 {
        out.append(contentsOf: "-A ".utf8)
        out.append(contentsOf: chain)
        func network(_ option: UInt8, _ network: IPNetwork?, negated: Bool) {
            guard let network, negated || !network.isAny else { return }
            if negated { out.append(contentsOf: " !".utf8) }
            out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "-"), option, UInt8(ascii: " ")])
            if case .v4(let v4) = network, let length = v4.prefixLength {
                v4.address.appendText(to: &out)
                out.append(UInt8(ascii: "/"))
                appendDecimal(length, to: &out)
            } else {
                out.append(contentsOf: network.description.utf8)
            }
        }
        func interface(_ option: UInt8, _ name: InterfaceName?, negated: Bool) {
            guard let name else { return }
            if negated { out.append(contentsOf: " !".utf8) }
            out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "-"), option, UInt8(ascii: " ")])
            out.append(contentsOf: name.rawValue.utf8)
        }
        network(UInt8(ascii: "s"), values.source, negated: values.sourceNegated)
        network(UInt8(ascii: "d"), values.destination, negated: values.destinationNegated)
        interface(UInt8(ascii: "i"), values.inInterface, negated: values.inNegated)
        interface(UInt8(ascii: "o"), values.outInterface, negated: values.outNegated)
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// Appends a comment as `SaveWriter.quote` writes it. Lean comments are printable ASCII without
    /// `"` or `\` (the scanner sees to it), so only `'` is escaped.
    static func appendQuoted(_ value: ArraySlice<UInt8>, to out: inout [UInt8]) {
        // One pass finds whether the text needs quotes, and whether it has a `'` to escape.
        var plain = !value.isEmpty
        var apostrophe = false
        value.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "_"), UInt8(ascii: "-"):
                    continue
                case UInt8(ascii: "'"):
                    apostrophe = true
                    plain = false
                default:
                    plain = false
                }
            }
        }
        if plain {
            out.append(contentsOf: value)
            return
        }
        out.append(UInt8(ascii: "\""))
        if apostrophe {
            for byte in value {
                if byte == UInt8(ascii: "'") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
        } else {
            out.append(contentsOf: value)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// How many bytes `appendQuoted` writes for `value`.
    static func quotedCount(_ value: ArraySlice<UInt8>) -> Int {
        if isPlain(value) { return value.count }
        return value.count + 2 + value.lazy.filter { $0 == UInt8(ascii: "'") }.count
    }

    private static func isPlain(_ value: ArraySlice<UInt8>) -> Bool {
        !value.isEmpty && value.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Where `needle` starts in `haystack`, when it occurs there exactly once.
    static func onlyOccurrence(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var found: Int?
        var start = haystack.startIndex
        while start + needle.count <= haystack.endIndex {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) {
                if found != nil { return nil }
                found = start
            }
            start += 1
        }
        return found
    }
}

/// Splits an `-A` line into words and its values, as far as the lean parse goes.
enum LeanScanner {
    /// What a line holds besides its key.
    struct Scanned {
        var counters: Counters?
        /// The chain's name, in the line.
        var chain: Range<Int>
        var values: FastValues
    }

    /// The bytes of a line by their index in the text, without bounds checks: the scanner's
    /// indices never leave the line.
    struct ByteView {
        let base: UnsafePointer<UInt8>
        let offset: Int
        @inline(__always) subscript(_ index: Int) -> UInt8 { base[index &- offset] }
    }

    /// One word of a line: where its text is (inside the quotes of a quoted word).
    struct Word {
        var start: Int
        var end: Int
        var quoted: Bool
        var range: Range<Int> { start..<end }
    }

    /// Where a line's key is written: a buffer allocated once, written through a pointer (an
    /// array's append checks its uniqueness and capacity at every byte).
    final class KeyBuffer {
        let pointer: UnsafeMutablePointer<UInt8>
        let capacity: Int
        /// How many bytes the current key has.
        var count = 0
        /// The words of the line being scanned (at most one for every two bytes of a line).
        let words: UnsafeMutablePointer<Word>

        init(capacity: Int) {
            self.capacity = capacity
            pointer = .allocate(capacity: capacity)
            words = .allocate(capacity: FastRule.maximumLength / 2 + 2)
        }

        deinit {
            pointer.deallocate()
            words.deallocate()
        }

        var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer, count: count) }

        func append(_ byte: UInt8) {
            pointer[count] = byte
            count += 1
        }

        func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 {
            for byte in bytes {
                pointer[count] = byte
                count += 1
            }
        }

        /// A hash of the key, eight bytes at a time (a multiply-rotate mix; byte-by-byte FNV
        /// showed in profiles).
        var hash: UInt64 {
            let raw = UnsafeRawPointer(pointer)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(count)
            var index = 0
            while index + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
                hash ^= hash >> 29
                index += 8
            }
            while index < count {
                hash = (hash ^ UInt64(pointer[index])) &* 0x0000_0100_0000_01B3
                index += 1
            }
            return hash
        }

        /// Whether the key is `other`, compared eight bytes at a time.
        func equals(_ other: [UInt8]) -> Bool {
            guard other.count == count else { return false }
            return other.withUnsafeBytes { stored in
                let mine = UnsafeRawPointer(pointer)
                var index = 0
                while index + 8 <= count {
                    if stored.loadUnaligned(fromByteOffset: index, as: UInt64.self) != mine.loadUnaligned(fromByteOffset: index, as: UInt64.self) { return false }
                    index += 8
                }
                while index < count {
                    if stored[index] != pointer[index] { return false }
                    index += 1
                }
                return true
            }
        }
    }

    /// The longest key a line makes: each byte of the line at most once, plus separators and the
    /// table and chain (`appendFast`).
    static let keyCapacity = 2 * FastRule.maximumLength + 256

    /// The line's counters, chain and values, with its key (every word but the values, and where
    /// they were) written to `key`; nil when the line is not one the lean parse reads.
    ///
    /// Read: `[p:b]`, then `-A CHAIN`, then words separated by spaces or tabs, each plain (no `"`)
    /// or wholly quoted (`"…"` without `\`, followed by a space or the end). Values: the word after
    /// `-s`, `-d` (one address, no list), `-i`, `-o`, each at most once and before the first `-m`,
    /// `-j` or `-g`, with `!` before it; and the text of the first `-m comment --comment TEXT`.
    static func scan(_ line: ArraySlice<UInt8>, family: Family, key: KeyBuffer) -> Scanned? {
        guard !line.isEmpty, line.count <= FastRule.maximumLength else { return nil }
        key.count = 0
        return line.withUnsafeBufferPointer { buffer -> Scanned? in
            let bytes = ByteView(base: buffer.baseAddress!, offset: line.startIndex)
            var index = line.startIndex
            var counters: Counters?
            if bytes[index] == UInt8(ascii: "[") {
                guard let parsed = scanCounters(line, &index) else { return nil }
                counters = parsed
            }
            guard let count = split(bytes, from: index, to: line.endIndex, into: key.words) else { return nil }
            return classify(line, bytes, words: UnsafeBufferPointer(start: key.words, count: count), counters: counters, family: family, key: key)
        }
    }

    /// Splits `from..<to` into `words`, returning how many; nil for a line the lean parse leaves to the model: a
    /// quote that is not a whole word, a backslash inside quotes, a control byte (which would blur
    /// the key's separators).
    private static func split(_ bytes: ByteView, from: Int, to end: Int, into words: UnsafeMutablePointer<Word>) -> Int? {
        var index = from
        var count = 0
        while true {
            while index < end, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard index < end else { return count }
            if bytes[index] == UInt8(ascii: "\"") {
                let start = index + 1
                index = start
                while index < end {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") { break }
                    if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                    index += 1
                }
                guard index < end else { return nil }
                words[count] = Word(start: start, end: index, quoted: true)
                count += 1
                index += 1
                if index < end, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\t") { return nil }
                continue
            }
            let start = index
            while index < end {
                // Above `"` (0x22) is an ordinary byte; at or below, a separator, `!`, or refused.
                let byte = bytes[index]
                if byte > 0x22 || byte == UInt8(ascii: "!") {
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { break }
                return nil
            }
            words[count] = Word(start: start, end: index, quoted: false)
            count += 1
        }
    }

    /// The words of a split line read as values and key.
    private static func classify(_ line: ArraySlice<UInt8>, _ bytes: ByteView, words: UnsafeBufferPointer<Word>, counters: Counters?, family: Family, key: KeyBuffer) -> Scanned? {
        func equals(_ word: Word, _ literal: StaticString) -> Bool {
            guard !word.quoted, word.end - word.start == literal.utf8CodeUnitCount else { return false }
            let pointer = literal.utf8Start
            for offset in 0..<literal.utf8CodeUnitCount where bytes[word.start + offset] != pointer[offset] { return false }
            return true
        }
        func part(_ word: Word) -> Bool { equals(word, "-m") || equals(word, "-j") || equals(word, "-g") }
        let keyPointer = key.pointer
        var k = key.count
        defer { key.count = k }
        func put(_ byte: UInt8) {
            keyPointer[k] = byte
            k += 1
        }

        guard words.count >= 2, equals(words[0], "-A") else { return nil }
        let chain = words[1]
        guard !chain.quoted, chain.end > chain.start, bytes[chain.start] != UInt8(ascii: "-"), !equals(chain, "!") else { return nil }

        var values = FastValues()
        var seen: UInt8 = 0
        var inHeader = true
        var negated = false
        var commentSeen = false
        var i = 2
        while i < words.count {
            let word = words[i]
            if equals(word, "!") {
                put(UInt8(ascii: "!"))
                put(0)
                negated = true
                i += 1
                continue
            }
            if inHeader, !word.quoted, word.end - word.start == 2, bytes[word.start] == UInt8(ascii: "-") {
                let option = bytes[word.start + 1]
                let bit: UInt8
                switch option {
                case UInt8(ascii: "s"): bit = 1
                case UInt8(ascii: "d"): bit = 2
                case UInt8(ascii: "i"): bit = 4
                case UInt8(ascii: "o"): bit = 8
                default: bit = 0
                }
                if bit != 0 {
                    guard seen & bit == 0, i + 1 < words.count, !words[i + 1].quoted else { return nil }
                    let value = words[i + 1].range
                    seen |= bit
                    put(UInt8(ascii: "-"))
                    put(option)
                    put(1)
                    put(0)
                    // Checked here, made into values only where needed (`materialize`).
                    switch bit {
                    case 1, 2:
                        let v4 = family == .ipv4 ? plainIPv4Prefix(line[value]) : nil
                        guard v4 != nil || scanNetwork(line[value], family: family) != nil else { return nil }
                        if bit == 1 {
                            values.sourceText = value
                            values.sourceV4 = v4.map { ($0.0, $0.1) }
                            values.sourceNegated = negated
                        } else {
                            values.destinationText = value
                            values.destinationV4 = v4.map { ($0.0, $0.1) }
                            values.destinationNegated = negated
                        }
                    default:
                        guard isInterface(line[value], bytes, value) else { return nil }
                        if bit == 4 {
                            values.inText = value
                            values.inNegated = negated
                        } else {
                            values.outText = value
                            values.outNegated = negated
                        }
                    }
                    negated = false
                    i += 2
                    continue
                }
            }
            if part(word) { inHeader = false }
            // `-m comment --comment TEXT`, followed by the end or a word that starts another part.
            if !commentSeen, i + 3 < words.count, equals(word, "-m"), equals(words[i + 1], "comment"), equals(words[i + 2], "--comment"),
                scanComment(line[words[i + 3].range]), i + 4 == words.count || part(words[i + 4])
            {
                commentSeen = true
                values.comment = words[i + 3].range
                for byte in "-m\u{0}comment\u{0}--comment\u{0}\u{1}\u{0}".utf8 { put(byte) }
                negated = false
                i += 4
                continue
            }
            if word.quoted { put(UInt8(ascii: "\"")) }
            for position in word.start..<word.end { put(bytes[position]) }
            put(0)
            negated = false
            i += 1
        }
        return Scanned(counters: counters, chain: chain.range, values: values)
    }

    /// The index of the first newline in `text` from `start`, or `text.count`: eight bytes at a
    /// time (a line of 100 bytes costs 13 steps instead of 100).
    static func newline(in text: [UInt8], from start: Int) -> Int {
        text.withUnsafeBufferPointer { buffer -> Int in
            let count = buffer.count
            var index = start
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let pattern = ones &* UInt64(UInt8(ascii: "\n"))
            let raw = UnsafeRawPointer(buffer.baseAddress!)
            while index + 8 <= count {
                // The first byte in the low bits on every platform; a zero byte is a newline.
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ pattern
                // Exact for the lowest zero byte (borrows only mark bytes above it).
                let zeros = (word &- ones) & ~word & highs
                if zeros != 0 { return index + (zeros.trailingZeroBitCount >> 3) }
                index += 8
            }
            while index < count, buffer[index] != UInt8(ascii: "\n") { index += 1 }
            return index
        }
    }

    /// Whether a word is an interface name `InterfaceName` takes as it is (and not `+` alone),
    /// checked byte by byte for plain names.
    private static func isInterface(_ word: ArraySlice<UInt8>, _ bytes: ByteView, _ range: Range<Int>) -> Bool {
        let count = range.count
        guard count > 0, count <= 15 else { return false }
        var plain = true
        for position in range {
            switch bytes[position] {
            case UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "'"): plain = false
            case UInt8(ascii: "+"): if position != range.upperBound - 1 { plain = false }
            case 0x21...0x7E: continue
            default: plain = false
            }
        }
        if plain, count == 1, bytes[range.lowerBound] == UInt8(ascii: "+") { return false }
        if plain, count <= 2, !range.contains(where: { bytes[$0] != UInt8(ascii: ".") }) { return false }
        return plain || scanInterface(word) != nil
    }

    /// The values of the words a scan found: networks and interface names made from them.
    static func materialize(_ values: inout FastValues, text: [UInt8], family: Family) {
        func network(_ range: Range<Int>?, _ v4: (address: UInt32, length: Int)?) -> IPNetwork? {
            if let v4 { return v4.length == 0 ? .v4(.any) : .v4(IPv4Network(masking: IPv4Address(rawValue: v4.address), prefixLength: v4.length)) }
            return range.flatMap { scanNetwork(text[$0], family: family) }
        }
        values.source = network(values.sourceText, values.sourceV4)
        values.destination = network(values.destinationText, values.destinationV4)
        values.inInterface = values.inText.flatMap { scanInterface(text[$0]) }
        values.outInterface = values.outText.flatMap { scanInterface(text[$0]) }
    }

    /// `[packets:bytes]` and the spaces after it, as the model parse reads them.
    static func scanCounters(_ line: ArraySlice<UInt8>, _ index: inout Int) -> Counters? {
        var scan = index + 1
        func number() -> UInt64? {
            let start = scan
            var value: UInt64 = 0
            while scan < line.endIndex, line[scan] >= UInt8(ascii: "0"), line[scan] <= UInt8(ascii: "9") {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(line[scan] - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                value = sum
                scan += 1
            }
            return scan > start ? value : nil
        }
        guard let packets = number(), scan < line.endIndex, line[scan] == UInt8(ascii: ":"), case _ = (scan += 1),
            let bytes = number(), scan < line.endIndex, line[scan] == UInt8(ascii: "]")
        else { return nil }
        index = scan + 1
        return Counters(packets: packets, bytes: bytes)
    }

    /// An address as `-s`/`-d` read it: dotted quads in plain decimal with an optional prefix
    /// length here; any other form (octal, masks, IPv6) through the model's own reading.
    static func scanNetwork(_ bytes: ArraySlice<UInt8>, family: Family) -> IPNetwork? {
        guard !bytes.isEmpty, !bytes.contains(UInt8(ascii: ",")) else { return nil }
        if family == .ipv4, let network = plainIPv4(bytes) { return network }
        return try? IPNetwork(iptablesText: String(decoding: bytes, as: UTF8.self), family: family)
    }

    private static func plainIPv4(_ bytes: ArraySlice<UInt8>) -> IPNetwork? {
        guard let (address, length) = plainIPv4Prefix(bytes) else { return nil }
        if length == 0 { return .v4(.any) }
        return .v4(IPv4Network(masking: IPv4Address(rawValue: address), prefixLength: length))
    }

    /// The address (host bits not cleared) and prefix length of a plain dotted quad with an
    /// optional `/LENGTH`, all in decimal without leading zeros; nil for any other form.
    static func plainIPv4Prefix(_ bytes: ArraySlice<UInt8>) -> (UInt32, Int)? {
        var address: UInt32 = 0
        var index = bytes.startIndex
        func number(maximum: Int) -> Int? {
            let start = index
            var value = 0
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
                if index - start > 3 { return nil }
            }
            // No leading zero: iptables reads 010 as octal.
            guard index > start, value <= maximum, index - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            return value
        }
        for part in 0..<4 {
            if part > 0 {
                guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") else { return nil }
                index += 1
            }
            guard let value = number(maximum: 255) else { return nil }
            address = address << 8 | UInt32(value)
        }
        var length = 32
        if index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "/") else { return nil }
            index += 1
            guard let value = number(maximum: 32), index == bytes.endIndex else { return nil }
            length = value
        }
        return (address, length)
    }

    /// An interface name the model takes as it is: printable ASCII the model accepts, not `+`
    /// alone (iptables-save prints nothing for it).
    static func scanInterface(_ bytes: ArraySlice<UInt8>) -> InterfaceName? {
        guard !bytes.isEmpty, bytes.count <= 15, !(bytes.count == 1 && bytes.first == UInt8(ascii: "+")) else { return nil }
        return try? InterfaceName(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether a comment's text is one the lean parse prints: 1 to 255 bytes of printable ASCII
    /// without `"` or `\`, not starting with `-` (an option to the model's eyes).
    static func scanComment(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= CommentMatch.maximumLength, bytes.first != UInt8(ascii: "-") else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer where byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            return true
        }
    }
}
