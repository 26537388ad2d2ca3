extension Rule {
    /// Parses the words of one rule, everything after `-A CHAIN` in iptables-save text, such as
    /// `-s 10.200.1.0/24 -o eth0 -j MASQUERADE`.
    ///
    /// Words are split and unquoted as iptables-restore does; options are routed to extensions as
    /// `iptables` routes them (see the README's "Formatting iptables-save text"). Give `table` and
    /// `chain` when known: they let the parser tell a jump to a user chain from an unknown target
    /// and refuse what iptables refuses there (MASQUERADE outside nat, `-o` in INPUT). Without a
    /// table, `-j NAME` with an unknown name and no options is a jump to the chain NAME.
    ///
    /// - Throws: `ModelError` with the column of the offending word (line 1).
    public init(
        saveArguments: String, family: Family, table: TableName? = nil, chain: ChainName? = nil,
        registry: ExtensionRegistry = .standard
    ) throws {
        let tokens = try SaveTokenizer.tokenize(saveArguments)
        let parser = RuleParser(family: family, registry: registry, table: table, chain: chain, isUserChain: nil)
        let end = SourceLocation(line: 1, column: saveArguments.utf8.count + 1)
        let parsed = try parser.parse(tokens[...], end: end)
        if parsed.skipped {
            throw ModelError(
                .notAllowed, input: saveArguments,
                "this rule is marked \(family == .ipv4 ? "-6 (IPv6 only)" : "-4 (IPv4 only)") and would be skipped in an \(family == .ipv4 ? "IPv4" : "IPv6") file",
                at: SourceLocation(line: 1, column: 1))
        }
        guard parsed.rules.count == 1, let rule = parsed.rules.first else {
            throw ModelError(
                .notAllowed, input: saveArguments,
                "-s or -d lists \(parsed.rules.count) combinations of addresses, which iptables turns into \(parsed.rules.count) rules; give one address each, or parse a whole file",
                at: SourceLocation(line: 1, column: 1))
        }
        self = rule
    }

    /// The rule's words after `-A CHAIN`, exactly as `iptables-legacy-save` prints them, without a
    /// leading space: `-s`, `-d`, `-i`, `-o`, `-p`, `-f`, then each match as `-m NAME OPTIONS`, then
    /// `-j TARGET OPTIONS` or `-g CHAIN`. Counters are not included.
    public func saveArguments(family: Family, table: TableName? = nil, chain: ChainName? = nil) -> String {
        var writer = SaveWriter()
        write(to: &writer, family: family, table: table, chain: chain)
        var text = writer.text
        if text.hasPrefix(" ") { text.removeFirst() }
        return text
    }

    /// The whole line iptables-save prints for this rule in `chain`: `[p:b] -A CHAIN …` when the
    /// rule has counters, `-A CHAIN …` otherwise.
    public func saveLine(family: Family, table: TableName? = nil, chain: ChainName) -> String {
        var writer = SaveWriter()
        writeLine(to: &writer, family: family, table: table, chain: chain)
        return writer.text
    }

    /// Appends `saveLine(family:table:chain:)`, without a newline.
    func writeLine(to writer: inout SaveWriter, family: Family, table: TableName?, chain: ChainName) {
        if let counters { writer.raw("\(counters) ") }
        writer.raw("-A ")
        writer.raw(chain.rawValue)
        write(to: &writer, family: family, table: table, chain: chain)
    }

    /// Appends the rule's words, each with its leading space, as iptables-save prints them.
    public func write(to writer: inout SaveWriter, family: Family, table: TableName? = nil, chain: ChainName? = nil) {
        if let source, source.negated || !source.value.isAny {
            writer.option("-s", source.value.description, negated: source.negated)
        }
        if let destination, destination.negated || !destination.value.isAny {
            writer.option("-d", destination.value.description, negated: destination.negated)
        }
        // `-i +` matches every interface and is not stored: iptables-save prints nothing for it,
        // negated or not.
        if let inInterface, !inInterface.value.stem.isEmpty {
            writer.option("-i", inInterface.value.rawValue, negated: inInterface.negated)
        }
        if let outInterface, !outInterface.value.stem.isEmpty {
            writer.option("-o", outInterface.value.rawValue, negated: outInterface.negated)
        }
        if let ipProtocol, ipProtocol.value.number != 0 {
            writer.option("-p", ipProtocol.value.description, negated: ipProtocol.negated)
        }
        if family == .ipv4, let fragment {
            writer.option("-f", negated: fragment == .nonFragmentsOnly)
        }
        let context = extensionContext(family: family, table: table, chain: chain)
        for match in matches {
            writer.word("-m")
            writer.word(match.name)
            match.base.save(to: &writer, context: context)
        }
        switch target {
        case nil: break
        case .verdict(let verdict): writer.option("-j", verdict.rawValue)
        case .jump(let chain): writer.option("-j", chain.rawValue)
        case .goto(let chain): writer.option("-g", chain.rawValue)
        case .extension(let target):
            writer.word("-j")
            writer.word(target.name)
            target.base.save(to: &writer, context: context)
        }
    }
}

extension Table {
    /// The table as one iptables-save block, from `*name` to `COMMIT`, each line ending in a
    /// newline: chains in canonical order (built-ins in hook order, then user chains sorted by
    /// name), each declared with its policy (`-` for user chains) and counters, then every chain's
    /// rules.
    ///
    /// User chains always print `[0:0]`: the kernel keeps no counters for them, and iptables-save
    /// prints zeros whatever a restore file said. Built-in chains the table leaves out print as the
    /// kernel creates them, `ACCEPT [0:0]`.
    public func saveText() -> String {
        var complete = self
        // The kernel's table always has every built-in chain; one the model leaves out prints as
        // the kernel creates it.
        for builtin in name.builtinChains where chain(named: builtin) == nil {
            complete.chains.append(Chain(name: builtin, policy: .accept))
        }
        let ordered = complete.canonicallyOrdered
        // One string for the whole table, each rule written into it: no string per line.
        var writer = SaveWriter()
        writer.reserve(ordered.chains.reduce(64) { $0 + 64 + $1.rules.count * 128 })
        writer.raw("*\(name.rawValue)\n")
        for chain in ordered.chains {
            let builtin = name.isBuiltin(chain.name)
            let policy = builtin ? (chain.policy ?? .accept).rawValue : "-"
            writer.raw(":\(chain.name.rawValue) \(policy) \(builtin ? chain.counters : .zero)\n")
        }
        for chain in ordered.chains {
            for rule in chain.rules {
                rule.writeLine(to: &writer, family: family, table: name, chain: chain.name)
                writer.raw("\n")
            }
        }
        writer.raw("COMMIT\n")
        return writer.text
    }
}

extension Ruleset {
    /// The ruleset as iptables-save text: each table's block in the order of `tables`; see
    /// `Table.saveText()`. This is the canonical form `natgate fmt` prints.
    public func saveText() -> String {
        var text = ""
        for table in tables { text += table.saveText() }
        return text
    }
}
