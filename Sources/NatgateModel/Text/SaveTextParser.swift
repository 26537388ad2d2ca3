extension Ruleset {
    /// Parses iptables-save or iptables-restore text of one family.
    ///
    /// The grammar is iptables-restore's: `*table` starts a table (its rules flushed and user chains
    /// gone, as iptables-restore does without `--noflush`), `:CHAIN POLICY [packets:bytes]` declares
    /// a chain (`-` as the policy of a user chain), `COMMIT` ends the table, `#` starts a comment
    /// line, blank lines are ignored. Between them, one command a line: `-A CHAIN RULE`,
    /// `-I CHAIN [N] RULE`, `-R CHAIN N RULE`, `-D CHAIN N|RULE`, `-N CHAIN`, `-P CHAIN POLICY`,
    /// `-F [CHAIN]`, `-X [CHAIN]`, with long forms (`--append` …). A rule line may start with
    /// counters, `[packets:bytes] -A …`, or carry `-c PACKETS BYTES`.
    ///
    /// The result is what the kernel would hold after iptables-restore loaded the text: host bits of
    /// addresses cleared, `-s`/`-d` lists expanded into one rule each, implicit protocol matches
    /// loaded, user chains without counters. Tables keep the order the text first gave them; a table
    /// given twice is replaced by its second block, as a second restore would.
    ///
    /// - Throws: `ModelError` with the line and column of the first problem and what was expected.
    public init(saveText: String, family: Family, registry: ExtensionRegistry = .standard) throws {
        var parser = SaveTextParser(family: family, registry: registry)
        self = try parser.parse(saveText)
    }
}

extension Table {
    /// Parses one table's iptables-save block (`*name` … `COMMIT`); see `Ruleset(saveText:family:registry:)`.
    ///
    /// - Throws: `ModelError` when the text holds no table or more than one.
    public init(saveText: String, family: Family, registry: ExtensionRegistry = .standard) throws {
        let ruleset = try Ruleset(saveText: saveText, family: family, registry: registry)
        guard ruleset.tables.count == 1, let table = ruleset.tables.first else {
            throw ModelError(.syntax, input: saveText, "expected exactly one table (*filter … COMMIT), found \(ruleset.tables.count)")
        }
        self = table
    }
}

/// The line-level half of the iptables-save grammar; rules go to `RuleParser`.
struct SaveTextParser {
    let family: Family
    let registry: ExtensionRegistry

    var tables: [Table] = []
    var current: Table?
    var tableLine = 0
    /// The current table's chains by name, to their index in `chains`.
    var chainIndex: [String: Int] = [:]
    /// The current table's user chains, for `-j NAME`.
    var userChains: Set<String> = []

    mutating func indexChains(_ table: Table) {
        chainIndex = Dictionary(table.chains.enumerated().map { ($1.name.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        userChains = Set(table.chains.filter { !table.name.isBuiltin($0.name) }.map(\.name.rawValue))
    }

    /// Whether this is `parseLean(_:)`.
    var isLean = false
    /// The state of `parseLean(_:)`.
    var lean = LeanState()
    /// Set (to empty) while `appendFast` has a line parsed into the model: the `-A` command then
    /// leaves its rules here instead of adding them to a chain.
    var capture: [Rule]?

    init(family: Family, registry: ExtensionRegistry) {
        self.family = family
        self.registry = registry
    }

    mutating func parse(_ text: String) throws -> Ruleset {
        let bytes = Array(text.utf8)
        try parseLines(bytes)
        return Ruleset(family: family, tables: tables)
    }

    /// Parses every line of `bytes` (`\r` before a newline ignored), then checks the last table
    /// was committed: the loop of both the model parse and the lean one.
    mutating func parseLines(_ bytes: [UInt8]) throws {
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            let end = LeanScanner.newline(in: bytes, from: start)
            var lineEnd = end
            while lineEnd > start, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            try parseLine(bytes[start..<lineEnd], line: lineNumber)
            start = end + 1
        }
        if let current {
            throw ModelError(
                .syntax, input: "",
                "COMMIT expected: the table \(current.name) started on line \(tableLine) is never committed; end it with a line COMMIT",
                at: SourceLocation(line: lineNumber + 1, column: 1))
        }
    }

    mutating func parseLine(_ line: ArraySlice<UInt8>, line number: Int) throws {
        guard let first = line.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
        if line.first == UInt8(ascii: "#") { return }
        let text = { String(decoding: line, as: UTF8.self) }
        let location = SourceLocation(line: number, column: 1)

        if first == UInt8(ascii: "C"), text().trimmingWhitespace == "COMMIT" {
            guard let table = current else {
                throw ModelError(.syntax, input: "COMMIT", "COMMIT without a table: start the table with a line such as *filter", at: location)
            }
            commit(table)
            current = nil
            return
        }
        if line.first == UInt8(ascii: "*") {
            if let current {
                throw ModelError(
                    .syntax, input: text(),
                    "COMMIT expected: the table \(current.name) started on line \(tableLine) must end with COMMIT before another table starts",
                    at: location)
            }
            let name = String(decoding: line.dropFirst(), as: UTF8.self).trimmingWhitespace
            let table: TableName
            do { table = try TableName(name) } catch let error as ModelError { throw error.located(at: SourceLocation(line: number, column: 2)) }
            current = Table.empty(table, family: family)
            indexChains(current!)
            if isLean {
                lean.rules = []
                lean.lastChainIndex = -1
                lean.declaredBuiltins = []
            }
            tableLine = number
            return
        }
        guard current != nil else {
            throw ModelError(.syntax, input: text(), "expected a table line such as *filter before this line", at: location)
        }
        if line.first == UInt8(ascii: ":") {
            try declareChain(line, line: number)
            return
        }
        try command(line, line: number)
    }

    mutating func commit(_ table: Table) {
        if isLean {
            commitLean(table)
            return
        }
        var table = table
        // A jump to a chain declared after the rule that names it.
        let userChains = Set(table.chains.filter { !table.name.isBuiltin($0.name) }.map(\.name.rawValue))
        for c in table.chains.indices {
            for r in table.chains[c].rules.indices {
                if case .extension(let target)? = table.chains[c].rules[r].target, let unknown = target.as(UnknownTarget.self),
                    unknown.words.isEmpty, userChains.contains(unknown.extensionName), let name = try? ChainName(unknown.extensionName)
                {
                    table.chains[c].rules[r].target = .jump(name)
                }
            }
        }
        if let index = tables.firstIndex(where: { $0.name == table.name }) {
            tables[index] = table
        } else {
            tables.append(table)
        }
    }

    // MARK: - Chain declarations

    private mutating func declareChain(_ line: ArraySlice<UInt8>, line number: Int) throws {
        // Moved out of `current` so that editing it does not copy every rule (copy-on-write).
        guard var table = current.take() else { return }
        defer { current = table }
        let fields = splitFields(line.dropFirst(), firstColumn: 2)
        guard let nameField = fields.first, line.dropFirst().first.map({ $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == true else {
            throw ModelError(.syntax, input: ":", "expected a chain name right after ':', such as :INPUT ACCEPT [0:0]", at: SourceLocation(line: number, column: 2))
        }
        let name: ChainName
        do { name = try ChainName(nameField.text) } catch let error as ModelError { throw error.located(at: nameField.location(number)) }
        guard fields.count >= 2 else {
            throw ModelError(
                .syntax, input: nameField.text,
                "expected a policy after the chain name: ACCEPT or DROP for a built-in chain, - for a user chain",
                at: SourceLocation(line: number, column: nameField.column + nameField.text.utf8.count))
        }
        let policyField = fields[1]
        var counters = Counters.zero
        if fields.count >= 3 {
            guard let parsed = parseCounters(fields[2].text) else {
                throw ModelError(.syntax, input: fields[2].text, "expected the chain's counters as [packets:bytes], such as [0:0]", at: fields[2].location(number))
            }
            counters = parsed
        }
        if fields.count >= 4 {
            throw ModelError(.syntax, input: fields[3].text, "unexpected '\(fields[3].text)' after the chain's counters: the line ends there", at: fields[3].location(number))
        }
        if table.name.isBuiltin(name) {
            guard let index = chainIndex[name.rawValue] else { return }
            if isLean { lean.declaredBuiltins.insert(name) }
            if policyField.text != "-" {
                do { table.chains[index].policy = try Policy(policyField.text) } catch let error as ModelError { throw error.located(at: policyField.location(number)) }
            }
            table.chains[index].counters = counters
        } else {
            guard policyField.text == "-" else {
                throw ModelError(
                    .syntax, input: policyField.text,
                    "\(name) is a user chain, which has no policy: write '-' instead of '\(policyField.text)' (the built-in chains of \(table.name) are \(table.name.builtinChains.map(\.rawValue).joined(separator: ", ")))",
                    at: policyField.location(number))
            }
            if chainIndex[name.rawValue] != nil {
                throw ModelError(.syntax, input: name.rawValue, "chain \(name) is declared twice in table \(table.name)", at: nameField.location(number))
            }
            // The kernel keeps no counters for user chains.
            chainIndex[name.rawValue] = table.chains.count
            userChains.insert(name.rawValue)
            table.chains.append(Chain(name: name, policy: nil))
        }
    }

    private struct Field {
        var text: String
        var column: Int
        func location(_ line: Int) -> SourceLocation { SourceLocation(line: line, column: column) }
    }

    /// Splits on spaces and tabs, as strtok does for chain lines (no quotes there).
    private func splitFields(_ bytes: ArraySlice<UInt8>, firstColumn: Int) -> [Field] {
        var fields: [Field] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard index < bytes.endIndex else { break }
            let start = index
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\t") { index += 1 }
            fields.append(Field(text: String(decoding: bytes[start..<index], as: UTF8.self), column: firstColumn + (start - bytes.startIndex)))
        }
        return fields
    }

    func parseCounters(_ text: String) -> Counters? {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.utf8.count >= 5 else { return nil }
        let inner = text.dropFirst().dropLast()
        let parts = inner.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
            let packets = UInt64(parts[0]), let bytes = UInt64(parts[1])
        else { return nil }
        return Counters(packets: packets, bytes: bytes)
    }

    // MARK: - Commands

    mutating func command(_ line: ArraySlice<UInt8>, line number: Int) throws {
        if isLean, capture == nil, try appendFast(line, line: number) { return }
        // Moved out of `current` so that editing it does not copy every rule (copy-on-write).
        guard var table = current.take() else { return }
        defer { current = table }
        var rest = line
        var counters: Counters?
        var firstColumn = 1
        if line.first == UInt8(ascii: "[") {
            guard let close = line.firstIndex(of: UInt8(ascii: "]")),
                let parsed = parseCounters(String(decoding: line[line.startIndex...close], as: UTF8.self))
            else {
                throw ModelError(
                    .syntax, input: String(decoding: line, as: UTF8.self),
                    "expected the rule's counters as [packets:bytes] followed by a command, such as [0:0] -A INPUT …",
                    at: SourceLocation(line: number, column: 1))
            }
            counters = parsed
            rest = line[(close + 1)...]
            firstColumn = close + 2 - line.startIndex
        }
        var tokens = try SaveTokenizer.tokenize(rest, line: number, firstColumn: firstColumn)[...]
        let endLocation = SourceLocation(line: number, column: line.count + 1)
        guard let commandToken = tokens.first else {
            throw ModelError(.syntax, input: "", "expected a command after the counters, such as -A INPUT", at: endLocation)
        }

        // `-c PACKETS BYTES` before the command.
        if commandToken.text == "-c" || commandToken.text == "--set-counters", !commandToken.quoted {
            guard counters == nil else {
                throw ModelError(.syntax, input: commandToken.text, "the rule's counters are given twice (a [packets:bytes] prefix and -c): keep one", at: commandToken.location)
            }
            let words = Array(tokens.dropFirst().prefix(2))
            var consumed = 1
            var parsed: Counters?
            if let first = words.first, let comma = first.text.firstIndex(of: ",") {
                if let p = UInt64(first.text[..<comma]), let b = UInt64(first.text[first.text.index(after: comma)...]) { parsed = Counters(packets: p, bytes: b) }
                consumed = 2
            } else if words.count == 2, let p = UInt64(words[0].text), let b = UInt64(words[1].text) {
                parsed = Counters(packets: p, bytes: b)
                consumed = 3
            }
            guard let parsed else {
                throw ModelError(.invalidValue, input: commandToken.text, "-c needs two numbers, packets then bytes, such as -c 10 840", at: commandToken.location)
            }
            counters = parsed
            tokens = tokens.dropFirst(consumed)
            guard !tokens.isEmpty else {
                throw ModelError(.syntax, input: commandToken.text, "expected a command after the counters, such as -A INPUT", at: endLocation)
            }
        }

        let command = tokens[tokens.startIndex]
        tokens = tokens.dropFirst()
        func chainArgument(required: Bool) throws -> (ChainName, SaveToken)? {
            guard let token = tokens.first, !token.isOptionLike || token.quoted, !token.isBang else {
                if required {
                    throw ModelError(.syntax, input: command.text, "\(command.text) needs a chain name after it", at: tokens.first?.location ?? endLocation)
                }
                return nil
            }
            tokens = tokens.dropFirst()
            do { return (try ChainName(token.text), token) } catch let error as ModelError { throw error.located(at: token.location) }
        }
        func existingChain(_ name: ChainName, _ token: SaveToken) throws -> Int {
            guard let index = chainIndex[name.rawValue] else {
                throw ModelError(
                    .syntax, input: name.rawValue,
                    "there is no chain \(name) in table \(table.name): declare it with ':\(name) - [0:0]' (or -N \(name)) before its rules",
                    at: token.location)
            }
            return index
        }
        func ruleNumber(required: Bool) throws -> Int? {
            guard let token = tokens.first, !token.isOptionLike, !token.isBang else {
                if required { throw ModelError(.syntax, input: command.text, "\(command.text) needs a rule number after the chain name", at: tokens.first?.location ?? endLocation) }
                return nil
            }
            guard let value = Int(token.text), value >= 1 else {
                throw ModelError(.invalidValue, input: token.text, "'\(token.text)' is not a rule number: rules count from 1", at: token.location)
            }
            tokens = tokens.dropFirst()
            return value
        }
        func parseRules(chain: ChainName) throws -> [Rule] {
            let userChains = self.userChains
            let parser = RuleParser(family: family, registry: registry, table: table.name, chain: chain, isUserChain: { userChains.contains($0) })
            let parsed = try parser.parse(tokens, counters: counters, end: endLocation)
            return parsed.rules
        }
        func noCounters() throws {
            if counters != nil {
                throw ModelError(.syntax, input: command.text, "counters go only with -A, -I and -R, not with \(command.text)", at: command.location)
            }
        }
        func noMore() throws {
            if let extra = tokens.first {
                throw ModelError(.syntax, input: extra.text, "unexpected '\(extra.text)': \(command.text) takes nothing more", at: extra.location)
            }
        }

        guard !command.quoted else {
            throw ModelError(.syntax, input: command.text, "expected a command such as -A CHAIN, found the quoted word \"\(command.text)\"", at: command.location)
        }
        if isLean, SaveTextParser.ruleEditingCommands.contains(command.text) {
            // These edit rules already parsed: the lean form keeps its rules apart from the model
            // table, so the caller parses the whole text again into the model.
            throw LeanFallback()
        }
        switch command.text {
        case "-A", "--append":
            guard let (name, token) = try chainArgument(required: true) else { return }
            let index = try existingChain(name, token)
            let rules = try parseRules(chain: name)
            if capture != nil {
                capture = rules
            } else if isLean {
                appendLean(rules.map(LeanRule.model), chain: index)
            } else {
                table.chains[index].rules += rules
            }
        case "-I", "--insert":
            guard let (name, token) = try chainArgument(required: true) else { return }
            let index = try existingChain(name, token)
            let numberToken = tokens.first
            let position = try ruleNumber(required: false) ?? 1
            guard position - 1 <= table.chains[index].rules.count else {
                throw ModelError(
                    .invalidValue, input: String(position),
                    "\(name) has \(table.chains[index].rules.count) rules, so a rule can be inserted at 1 to \(table.chains[index].rules.count + 1), not \(position)",
                    at: numberToken?.location ?? command.location)
            }
            // Like iptables, each rule of an -s/-d list is inserted at the same position.
            for rule in try parseRules(chain: name) {
                table.chains[index].rules.insert(rule, at: position - 1)
            }
        case "-R", "--replace":
            guard let (name, token) = try chainArgument(required: true) else { return }
            let index = try existingChain(name, token)
            let numberToken = tokens.first
            let position = try ruleNumber(required: true) ?? 1
            let rules = try parseRules(chain: name)
            guard position <= table.chains[index].rules.count else {
                throw ModelError(.invalidValue, input: String(position), "\(name) has no rule \(position) to replace (it has \(table.chains[index].rules.count))", at: numberToken?.location ?? command.location)
            }
            guard rules.count == 1, let rule = rules.first else {
                throw ModelError(.syntax, input: command.text, "-R replaces one rule, but -s or -d lists several addresses", at: command.location)
            }
            table.chains[index].rules[position - 1] = rule
        case "-D", "--delete":
            try noCounters()
            guard let (name, token) = try chainArgument(required: true) else { return }
            let index = try existingChain(name, token)
            if let numberToken = tokens.first, let position = try ruleNumber(required: false) {
                try noMore()
                guard position <= table.chains[index].rules.count else {
                    throw ModelError(.invalidValue, input: String(position), "\(name) has no rule \(position) to delete (it has \(table.chains[index].rules.count))", at: numberToken.location)
                }
                table.chains[index].rules.remove(at: position - 1)
            } else {
                for rule in try parseRules(chain: name) {
                    guard let found = table.chains[index].rules.firstIndex(where: { $0.withoutCounters == rule.withoutCounters }) else {
                        throw ModelError(.syntax, input: String(decoding: line, as: UTF8.self), "\(name) has no rule like this one to delete", at: command.location)
                    }
                    table.chains[index].rules.remove(at: found)
                }
            }
        case "-N", "--new-chain", "--new":
            try noCounters()
            guard let (name, token) = try chainArgument(required: true) else { return }
            try noMore()
            if chainIndex[name.rawValue] != nil {
                throw ModelError(.syntax, input: name.rawValue, "chain \(name) already exists in table \(table.name)", at: token.location)
            }
            chainIndex[name.rawValue] = table.chains.count
            userChains.insert(name.rawValue)
            table.chains.append(Chain(name: name, policy: nil))
        case "-P", "--policy":
            guard let (name, token) = try chainArgument(required: true) else { return }
            let index = try existingChain(name, token)
            guard table.name.isBuiltin(name) else {
                throw ModelError(.syntax, input: name.rawValue, "\(name) is a user chain, which has no policy; only built-in chains do", at: token.location)
            }
            guard let policyToken = tokens.first else {
                throw ModelError(.syntax, input: command.text, "-P needs a policy after the chain name: ACCEPT or DROP", at: endLocation)
            }
            tokens = tokens.dropFirst()
            try noMore()
            do { table.chains[index].policy = try Policy(policyToken.text) } catch let error as ModelError { throw error.located(at: policyToken.location) }
            if isLean { lean.declaredBuiltins.insert(name) }
            if let counters { table.chains[index].counters = counters }
        case "-F", "--flush":
            try noCounters()
            if let (name, token) = try chainArgument(required: false) {
                let index = try existingChain(name, token)
                table.chains[index].rules.removeAll()
            } else {
                for index in table.chains.indices { table.chains[index].rules.removeAll() }
            }
            try noMore()
        case "-X", "--delete-chain":
            try noCounters()
            let names: [(ChainName, SaveToken?)]
            if let (name, token) = try chainArgument(required: false) {
                _ = try existingChain(name, token)
                if table.name.isBuiltin(name) {
                    throw ModelError(.syntax, input: name.rawValue, "\(name) is a built-in chain and cannot be deleted", at: token.location)
                }
                names = [(name, token)]
            } else {
                names = table.chains.filter { !table.name.isBuiltin($0.name) }.map { ($0.name, nil) }
            }
            try noMore()
            let doomed = Set(names.map(\.0))
            for (name, token) in names {
                if let chain = table[chain: name], !chain.rules.isEmpty {
                    throw ModelError(.syntax, input: name.rawValue, "chain \(name) still has \(chain.rules.count) rules: flush it with -F \(name) first", at: token?.location ?? command.location)
                }
                for other in table.chains where !doomed.contains(other.name) {
                    if other.rules.contains(where: { $0.target?.chain == name }) {
                        throw ModelError(.syntax, input: name.rawValue, "chain \(name) is still the target of a rule in \(other.name): delete that rule first", at: token?.location ?? command.location)
                    }
                }
            }
            table.chains.removeAll { doomed.contains($0.name) }
            indexChains(table)
        default:
            throw ModelError(
                .syntax, input: command.text,
                "expected a command such as -A CHAIN, -I CHAIN, -N CHAIN or -P CHAIN POLICY, or a line *table, :CHAIN POLICY [0:0] or COMMIT, found '\(command.text)'",
                at: command.location)
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and carriage returns.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" })
        else { return "" }
        return String(scalars[first...last])
    }
}
