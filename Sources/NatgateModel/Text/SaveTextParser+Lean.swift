// The lean parse inside SaveTextParser: `-A` lines of known shapes kept as lean rules (see
// LeanSaveText.swift).

extension SaveTextParser {
    static let ruleEditingCommands: Set<String> = ["-I", "--insert", "-R", "--replace", "-D", "--delete", "-F", "--flush", "-X", "--delete-chain"]

    /// The lean parse of `text`; see `LeanRuleset`.
    mutating func parseLean(_ text: [UInt8]) throws -> LeanRuleset {
        isLean = true
        lean = LeanState()
        lean.key = LeanScanner.KeyBuffer(capacity: LeanScanner.keyCapacity)
        lean.text = text
        try parseLines(text)
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
        guard let tableName = current?.name, let key = lean.key else { return false }
        guard let scanned = LeanScanner.scan(line, family: family, key: key) else { return false }

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
                guard let rules = try modelRules(line, line: number), rules.count == 1, rules[0].counters == scanned.counters else {
                    lean.shapes[shape].state = .model
                    return false
                }
                let model = rules[0]
                var expected = SaveWriter()
                model.withoutCounters.writeLine(to: &expected, family: family, table: tableName, chain: lean.shapes[shape].chain)
                var printed: [UInt8] = []
                LeanRuleset.appendLine(rule, text: lean.text, family: family, shape: LeanRuleset.ShapeText(lean.shapes[shape]), counters: false, to: &printed)
                guard printed.elementsEqual(expected.text.utf8) else {
                    lean.shapes[shape].state = .model
                    appendLean(.model(model), chain: index)
                    return true
                }
                lean.shapes[shape].state = .verified
                lean.shapes[shape].witness = model.withoutCounters
                lean.shapes[shape].witnessLine = rule
                appendLean(.fast(rule), chain: index)
                return true
            }
        }

        // A new shape: this line through the model, and its text split around the values.
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
        LeanRuleset.appendHeader(rule, text: lean.text, family: family, shape: LeanRuleset.ShapeText(shape), to: &header)
        if canonical.starts(with: header), canonical.count == header.count || canonical[header.count] == UInt8(ascii: " ") {
            let rest = canonical[header.count...]
            if let comment = scanned.values.comment {
                let option = Array(" -m comment --comment ".utf8)
                var needle = option
                LeanRuleset.appendQuoted(lean.text[comment], to: &needle)
                if let found = LeanRuleset.onlyOccurrence(of: needle, in: rest) {
                    // The quoted comment starts right after the option.
                    let valueStart = found + option.count
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
            LeanRuleset.appendLine(rule, text: lean.text, family: family, shape: LeanRuleset.ShapeText(shape), counters: false, to: &printed)
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

