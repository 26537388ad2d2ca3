import NatgateModel

extension KernelBackend {
    /// How `restore` treats the tables it is given.
    public struct RestoreOptions: Sendable, Hashable {
        /// Replace each table whole (true, the default), or, like `iptables-restore --noflush`, add
        /// to it: built-in chains keep their rules and get the new ones appended, user chains the
        /// text declares are replaced, every other chain stays.
        public var flush: Bool
        /// Set the counters the tables give (`iptables-restore --counters`); otherwise new rules
        /// start at zero and rules that stay keep theirs.
        public var counters: Bool
        /// Check everything and apply it to libiptc's snapshot, but commit nothing (`--test`).
        public var test: Bool

        /// The options of `iptables-restore`: `--noflush` is `flush: false`, `--counters` and `--test`.
        public init(flush: Bool = true, counters: Bool = false, test: Bool = false) {
            self.flush = flush
            self.counters = counters
            self.test = test
        }
    }

    /// Commits whole tables, as `iptables-legacy-restore` does: each table atomically, in the
    /// order given, the earlier ones restored if a later one fails. Only the rules that differ are
    /// touched (unlike iptables-legacy-restore, rules that stay keep their counters unless
    /// `options.counters` sets them).
    ///
    /// Each chain's rules are encoded into kernel entries once, the model rules released as they
    /// are, and the entries restored with `restore(_:entries:options:)`. A table given twice acts
    /// as it does for iptables-legacy-restore: the later one replaces the earlier (with
    /// `--noflush`, appends to its built-in chains and replaces its user chains).
    ///
    /// Equivalent to: `iptables-legacy-restore [--noflush] [--counters] [--test] < FILE`.
    /// - Throws: `KernelError`; a rule natgate cannot encode is named by table, chain and position.
    @discardableResult
    public func restore(_ tables: consuming [Table], options: RestoreOptions = RestoreOptions()) throws -> UpdateReport {
        // Owned, so that the rules released once encoded are freed (when the caller gave them up).
        var combined = tables
        try checkFamily(combined.map { ($0.name, $0.family) })
        combined = KernelBackend.combined(combined, flush: options.flush)
        var entries: [TableName: [ChainName: EntryList]] = [:]
        try namespace.run {
            // Inside the namespace: `-m set` names become the indexes of its sets.
            try encodeRules(of: &combined, into: &entries, counters: options.counters)
        }
        return try restore(combined, entries: consume entries, options: options)
    }

    /// Commits whole tables given as model tables whose chains hold their rules as kernel
    /// entries, as `iptables-legacy-restore` does (see `restore(_:options:)`): the form a parser
    /// that writes entries straight from text hands over, without a model rule per rule.
    ///
    /// - Parameters:
    ///   - tables: each table once, with its chains (built-in ones with their policy and
    ///     counters). The chains named in `entries` have no model rules; model rules of other
    ///     chains are encoded here.
    ///   - entries: each chain's rules, in order, as `EntryEncoder` writes them (standard
    ///     targets named after their verdict or the user chain they jump to). Their counters are
    ///     set only with `options.counters`; otherwise new rules start at zero.
    ///   - options: with `flush` (the default), each table is replaced whole (built-in chains it
    ///     does not declare are emptied and keep their policy). Without it
    ///     (`--noflush`), built-in chains keep their rules and get the given ones appended (their
    ///     policy replaced when given), the user chains the tables declare are replaced, and
    ///     every other chain stays. Either way rules that stay (the same bytes, counters aside)
    ///     keep their place and counters, and only the difference goes to libiptc.
    /// - Throws: `KernelError` (`.refused`) for entries of a chain or table not given, of the
    ///   other family, a jump to a chain the table will not have, a target outside the tables or
    ///   hooks the kernel accepts it in; then nothing is committed. Otherwise as `update`.
    @discardableResult
    package func restore(_ tables: [Table], entries: consuming [TableName: [ChainName: EntryList]], options: RestoreOptions = RestoreOptions()) throws -> UpdateReport {
        // Owned, so that what is released here is freed.
        var entries = entries
        try checkFamily(tables.map { ($0.name, $0.family) })
        var seen = Set<TableName>()
        for table in tables where !seen.insert(table.name).inserted {
            throw KernelError(.refused, "The \(table.name) table is given twice; give each table once, its chains together.",
                              operation: .init(family: family, table: table.name))
        }
        for (name, lists) in entries {
            guard let table = tables.first(where: { $0.name == name }) else {
                throw KernelError(.refused, "Entries were given for the \(name) table, which is not among the tables to restore; give the table too.",
                                  operation: .init(family: family, table: name))
            }
            for (chain, list) in lists {
                let operation = KernelError.Operation(family: family, table: name, chain: chain.rawValue)
                guard let declared = table.chain(named: chain) else {
                    throw KernelError(.refused, "Entries were given for chain \(chain), which the \(name) table does not declare; declare it (`:\(chain) - [0:0]`).", operation: operation)
                }
                guard declared.rules.isEmpty else {
                    throw KernelError(.refused, "Chain \(chain) of the \(name) table has both model rules and entries; give its rules one way only.", operation: operation)
                }
                guard list.family == family else {
                    throw KernelError(.refused, "The entries for chain \(chain) are \(list.family) but this backend writes \(family) tables.", operation: operation)
                }
            }
        }
        var tables = tables
        if tables.contains(where: { $0.chains.contains { !$0.rules.isEmpty } }) {
            try namespace.run { try encodeRules(of: &tables, into: &entries, counters: options.counters) }
        }
        if !options.counters {
            // Found first, then cleared in place: clearing while iterating would copy each list.
            let counted = entries.flatMap { name, lists in lists.filter { $0.value.hasCounters }.map { (name, $0.key) } }
            for (name, chain) in counted { entries[name]![chain]!.clearCounters() }
        }
        // The entries are freed table by table once libiptc has its copy, before the commit builds
        // the table once more; after EAGAIN they are read back from libiptc's snapshot.
        let given = GivenEntries(entries, tables: tables, flush: options.flush)
        entries = [:]
        let hooks = EntryHooks(
            applied: { given.release($0) },
            tableChanged: { name, _, attempted in given.recover(name, from: attempted, clearingCounters: !options.counters) })
        let names = tables.map(\.name)
        return try transaction(
            tables: names, entrySelection: Dictionary(uniqueKeysWithValues: names.map { ($0, .all) }), setCounters: options.counters, dryRun: options.test,
            hooks: hooks
        ) { current, lists in
            for table in tables {
                let added = given.lists[table.name] ?? [:]
                if options.flush {
                    // Built-in chains the text does not declare are flushed and keep their policy,
                    // as iptables-legacy-restore leaves them.
                    var replaced = table
                    for builtin in table.name.builtinChains where table.chain(named: builtin) == nil {
                        replaced[chain: builtin] = current[table.name]!.chain(named: builtin) ?? Chain(name: builtin, policy: .accept)
                    }
                    current[table.name] = replaced
                    lists[table.name] = added
                } else {
                    (current[table.name], lists[table.name]) = KernelBackend.merge(
                        table, added, into: current[table.name]!, lists[table.name] ?? [:], family: family)
                }
            }
        }
    }

    /// The entries a restore was given, freed table by table once libiptc holds them.
    private final class GivenEntries {
        var lists: [TableName: [ChainName: EntryList]]
        /// How many entries each declared chain was given: what to read back after EAGAIN.
        let counts: [TableName: [ChainName: Int]]
        let builtinAppends: Bool

        init(_ lists: [TableName: [ChainName: EntryList]], tables: [Table], flush: Bool) {
            self.lists = lists
            var counts: [TableName: [ChainName: Int]] = [:]
            for table in tables {
                for chain in table.chains { counts[table.name, default: [:]][chain.name] = lists[table.name]?[chain.name]?.count ?? 0 }
            }
            self.counts = counts
            builtinAppends = !flush
        }

        func release(_ table: TableName) { lists[table] = nil }

        /// The given entries of `table` out of the table libiptc was to commit: each declared
        /// chain whole, or for a built-in chain appended to (`--noflush`), its last entries.
        func recover(_ table: TableName, from attempted: [ChainName: EntryList], clearingCounters: Bool) {
            guard lists[table] == nil, let counts = counts[table] else { return }
            var recovered: [ChainName: EntryList] = [:]
            for (chain, count) in counts {
                guard let all = attempted[chain], count > 0 else { continue }
                var list = EntryList(family: all.family)
                let whole = !(builtinAppends && table.isBuiltin(chain))
                list.append(contentsOf: all, (whole ? 0 : max(0, all.count - count))..<all.count)
                if clearingCounters { list.clearCounters() }
                recovered[chain] = list
            }
            lists[table] = recovered
        }
    }

    /// `iptables-restore --noflush`: declared user chains replaced, built-in chains appended to
    /// (with the new policy), the rest kept; every chain's rules as entries.
    static func merge(
        _ table: Table, _ added: [ChainName: EntryList], into current: Table, _ currentLists: [ChainName: EntryList], family: Family
    ) -> (Table, [ChainName: EntryList]) {
        var merged = current
        var lists = currentLists
        for chain in table.chains {
            let new = added[chain.name] ?? EntryList(family: family)
            if var existing = merged[chain: chain.name], table.name.isBuiltin(chain.name) {
                existing.policy = chain.policy ?? existing.policy
                merged[chain: chain.name] = existing
                if !new.isEmpty {
                    var list = lists[chain.name] ?? EntryList(family: family)
                    list.append(contentsOf: new, 0..<new.count)
                    lists[chain.name] = list
                }
            } else {
                merged[chain: chain.name] = chain
                lists[chain.name] = new
            }
        }
        return (merged.canonicallyOrdered, lists)
    }

    /// `iptables-restore --noflush` on model tables: declared user chains replaced, built-in
    /// chains appended to (with the new policy), the rest kept.
    static func merge(_ table: Table, into current: Table) -> Table {
        var merged = current
        for chain in table.chains {
            if var existing = merged[chain: chain.name], table.name.isBuiltin(chain.name) {
                existing.rules += chain.rules
                existing.policy = chain.policy ?? existing.policy
                merged[chain: chain.name] = existing
            } else {
                merged[chain: chain.name] = chain
            }
        }
        return merged.canonicallyOrdered
    }

    /// Each table name once, in the order of first appearance: a later table of the same name
    /// replaces the earlier one, or with `flush: false` is merged into it as `merge` merges.
    static func combined(_ tables: [Table], flush: Bool) -> [Table] {
        var names: [TableName] = []
        var byName: [TableName: Table] = [:]
        for table in tables {
            if let earlier = byName[table.name] {
                byName[table.name] = flush ? table : merge(table, into: earlier)
            } else {
                names.append(table.name)
                byName[table.name] = table
            }
        }
        guard names.count < tables.count else { return tables }
        return names.map { byName[$0]! }
    }

    private func checkFamily(_ tables: [(TableName, Family)]) throws(KernelError) {
        for (name, tableFamily) in tables where tableFamily != family {
            throw KernelError(.refused, "The \(name) table is \(tableFamily) but this backend writes \(family) tables; restore it with a backend of its family (-6 for IPv6).",
                              operation: .init(family: family, table: name))
        }
    }

    /// Moves the model rules of every chain of `tables` into `entries`, encoded, each chain's
    /// rules released once encoded. With `counters`, entries carry the rules' counters.
    private func encodeRules(of tables: inout [Table], into entries: inout [TableName: [ChainName: EntryList]], counters: Bool) throws(KernelError) {
        let encoder = EntryEncoder(family: family, codecs: codecs)
        for t in tables.indices {
            let name = tables[t].name
            for c in tables[t].chains.indices where !tables[t].chains[c].rules.isEmpty {
                let chain = tables[t].chains[c].name
                var rules: [Rule] = []
                swap(&rules, &tables[t].chains[c].rules)
                var list = EntryList(family: family)
                for (index, rule) in rules.enumerated() {
                    let entry = try encoder.encode(rule, table: name, chain: chain, position: index + 1, counters: counters)
                    // Room for all at twice the size of the first, so that the buffer never grows
                    // (growing copies megabytes into a buffer twice as large, both resident at once):
                    // pages reserved and never written cost no memory.
                    if index == 0 { list.reserveCapacity(entries: rules.count, bytes: rules.count * 2 * entry.count + 4096) }
                    list.append(entry)
                }
                rules = []
                entries[name, default: [:]][chain] = list
            }
        }
    }
}
