import Logging
import NatgateModel

/// What an `update` or `restore` did, table by table.
public struct UpdateReport: Sendable, CustomStringConvertible {
    /// What happened to one table.
    public struct TableReport: Sendable {
        /// The table.
        public var table: TableName
        /// User chains created, by name.
        public var createdChains: [ChainName] = []
        /// User chains deleted, by name.
        public var deletedChains: [ChainName] = []
        /// Rules inserted.
        public var insertedRules = 0
        /// Rules deleted.
        public var deletedRules = 0
        /// Built-in chains whose policy changed.
        public var policyChanges = 0
        /// Whether the table was sent to the kernel; false when nothing changed or in a test run.
        public var committed = false
        /// How long `iptc_commit` took (the kernel's table replace, mostly).
        public var commitDuration: Duration?

        /// Whether anything in the table changed.
        public var changed: Bool {
            !createdChains.isEmpty || !deletedChains.isEmpty || insertedRules > 0 || deletedRules > 0 || policyChanges > 0
        }
    }

    /// One report per table, in the order the tables were given.
    public var tables: [TableReport] = []
    /// How many times the tables were read and the change applied (more than 1 after EAGAIN).
    public var attempts = 1
    /// Time spent reading and decoding the tables (`iptc_init` and the decoder), all attempts.
    public var readDuration: Duration = .zero
    /// Time spent running the closure, checking, diffing and encoding, all attempts.
    public var prepareDuration: Duration = .zero

    /// Whether any table was committed.
    public var committed: Bool { tables.contains { $0.committed } }

    public var description: String {
        tables.map { report in
            var parts: [String] = []
            if !report.createdChains.isEmpty { parts.append("created \(report.createdChains.map(\.rawValue).joined(separator: ","))") }
            if !report.deletedChains.isEmpty { parts.append("deleted \(report.deletedChains.map(\.rawValue).joined(separator: ","))") }
            if report.insertedRules > 0 { parts.append("+\(report.insertedRules) rules") }
            if report.deletedRules > 0 { parts.append("-\(report.deletedRules) rules") }
            if report.policyChanges > 0 { parts.append("\(report.policyChanges) policies") }
            if parts.isEmpty { parts.append("unchanged") }
            return "\(report.table): \(parts.joined(separator: ", "))\(report.committed ? "" : " (not committed)")"
        }.joined(separator: "; ")
    }
}

extension KernelBackend {
    /// Changes one or more tables through a closure over their model, atomically per table.
    ///
    /// Under the xtables lock (held from the first read to the last commit), natgate reads every
    /// table in `tables`, runs `body` on them, checks the result, works out the smallest set of
    /// libiptc operations from the old to the new state of each chain (rules are compared without
    /// counters, so rules nobody changed, other programs' above all, are not touched and keep
    /// their counters), and commits each table with one `iptc_commit`, in the order given.
    ///
    /// - If another program changes a table between natgate's read and its commit (EAGAIN; only
    ///   programs that ignore the lock can), natgate reads again, runs `body` again and re-applies,
    ///   up to `maximumAttempts` times. `body` must therefore compute the new state from the state
    ///   it is given, not from what it saw in an earlier call.
    /// - If a later table fails, the tables already committed are restored to what was read, and
    ///   the error (kind `.rolledBack`, or `.rollbackFailed`) carries the failure in `related`.
    /// - Rules `body` adds carry their `counters`, when they have some, into the kernel.
    ///
    /// ```swift
    /// try backend.update(tables: [.filter, .nat]) { tables in
    ///     tables[.nat]![chain: .postrouting]!.rules.append(rule)
    /// }
    /// ```
    /// - Throws: `KernelError`, or what `body` throws (then nothing is committed).
    @discardableResult
    public func update(tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws -> UpdateReport {
        try transaction(tables: tables, setCounters: false, dryRun: false, body)
    }

    /// Changes tables as `update(tables:_:)` does, with the rules of some user chains handled as
    /// kernel entries instead of model rules.
    ///
    /// For each `entryChains[table]`, `body` gets the chain in the model table without rules, and
    /// its rules in `entries[table]` (empty when the chain does not exist yet). `body` may change
    /// the model as usual (create or delete the chain, jump to it) and replaces the chain's rules
    /// by setting `entries[table]`; the model chain must stay without rules. Old and new entries
    /// are compared byte for byte (`EntryList.sameRule`): entries that stay keep their place and
    /// counters, and only the difference goes to libiptc. This is how natgate changes a chain of
    /// tens of thousands of rules without a model rule for each.
    ///
    /// - Parameter commitOrder: asked after each run of `body`: the order to commit the tables
    ///   in, when `body` has found it depends on the change (nil keeps the order of `tables`).
    ///   Tables already committed are left out of it.
    /// - Throws: `KernelError`, or what `body` throws (then nothing is committed).
    @discardableResult
    package func update(
        tables: [TableName], entryChains: [TableName: ChainName], commitOrder: () -> [TableName]? = { nil },
        _ body: (inout [TableName: Table], inout [TableName: EntryList]) throws -> Void
    ) throws -> UpdateReport {
        try transaction(tables: tables, entryChains: entryChains, setCounters: false, dryRun: false, commitOrder: commitOrder, body)
    }

    /// Changes one table; see `update(tables:_:)`.
    @discardableResult
    public func update(table: TableName, _ body: (inout Table) throws -> Void) throws -> UpdateReport {
        try update(tables: [table]) { tables in try body(&tables[table]!) }
    }

    // MARK: - The transaction

    func transaction(tables: [TableName], setCounters: Bool, dryRun: Bool, _ body: (inout [TableName: Table]) throws -> Void) throws -> UpdateReport {
        try transaction(tables: tables, entryChains: [:], setCounters: setCounters, dryRun: dryRun) { tables, _ in try body(&tables) }
    }

    /// `transaction` with at most one chain per table handled as entries, each table's list
    /// standing alone (empty when the chain does not exist): the shape `update(tables:entryChains:…)`
    /// hands its closure.
    func transaction(
        tables: [TableName], entryChains: [TableName: ChainName], setCounters: Bool, dryRun: Bool, commitOrder: () -> [TableName]? = { nil },
        _ body: (inout [TableName: Table], inout [TableName: EntryList]) throws -> Void
    ) throws -> UpdateReport {
        try transaction(
            tables: tables, entrySelection: entryChains.mapValues { .named([$0]) }, setCounters: setCounters, dryRun: dryRun, commitOrder: commitOrder
        ) { tables, lists in
            var single: [TableName: EntryList] = [:]
            for (name, chain) in entryChains where tables[name] != nil {
                single[name] = lists[name]?[chain] ?? EntryList(family: family)
            }
            try body(&tables, &single)
            if let name = single.keys.first(where: { entryChains[$0] == nil }) {
                throw KernelError(.refused, "The update set entries for the \(name) table, which has no chain handled as entries; name the chain in `entryChains:`.",
                                  operation: .init(family: family, table: name))
            }
            for (name, chain) in entryChains where tables[name] != nil {
                lists[name, default: [:]][chain] = single[name]
            }
        }
    }

    /// Which chains of a table a transaction handles as entries rather than model rules.
    enum EntryChainSelection: Sendable, Hashable {
        /// These chains (when the table has them).
        case named(Set<ChainName>)
        /// Every chain, built-in ones too: the table's model holds chains and policies only.
        case all

        func contains(_ chain: ChainName) -> Bool {
            switch self {
            case .named(let names): names.contains(chain)
            case .all: true
            }
        }
    }

    /// The transaction: `body` gets the tables read under the lock, with the rules of the chains
    /// `entryChains` selects as entries (`lists[table][chain]`, present for each such chain the
    /// table has) and the model chains of those without rules, and leaves the state to commit.
    ///
    /// - Parameter hooks: lets the caller free what it holds of a table once libiptc has its
    ///   copy, and get it back from libiptc's snapshot if the commit then meets EAGAIN.
    func transaction(
        tables: [TableName], entrySelection entryChains: [TableName: EntryChainSelection], setCounters: Bool, dryRun: Bool, commitOrder: () -> [TableName]? = { nil },
        hooks: EntryHooks = EntryHooks(),
        _ body: (inout [TableName: Table], inout [TableName: [ChainName: EntryList]]) throws -> Void
    ) throws -> UpdateReport {
        guard !tables.isEmpty else { return UpdateReport() }
        guard Set(tables).count == tables.count else {
            throw KernelError(.refused, "A table is listed twice in one update: \(tables.map(\.rawValue).joined(separator: ", ")).")
        }
        return try namespace.run {
            switch family {
            case .ipv4: try transaction(IPv4Calls.self, tables: tables, entryChains: entryChains, setCounters: setCounters, dryRun: dryRun, commitOrder: commitOrder, hooks: hooks, body)
            case .ipv6: try transaction(IPv6Calls.self, tables: tables, entryChains: entryChains, setCounters: setCounters, dryRun: dryRun, commitOrder: commitOrder, hooks: hooks, body)
            }
        }
    }

    /// What a transaction tells its caller about the entries it hands to libiptc.
    struct EntryHooks {
        /// Called once libiptc holds its own copy of a table's changes, before the commit builds
        /// the whole table once more: the caller may free its copy of the table's entries.
        var applied: ((TableName) -> Void)?
        /// Called when the commit of a table met EAGAIN, with the entry chains of the table that
        /// was to be committed (read back from libiptc's snapshot), before `body` runs again: the
        /// caller gets back what it freed in `applied`.
        var tableChanged: ((TableName, Table, [ChainName: EntryList]) -> Void)?
    }

    /// A table read under the lock, with the handle its changes will be applied to.
    private final class Snapshot<C: LibiptcCalls> {
        var handle: TableHandle<C>?
        let table: Table
        let entries: [ChainName: EntryList]
        init(_ handle: consuming TableHandle<C>, _ table: Table, _ entries: [ChainName: EntryList]) {
            self.handle = consume handle
            self.table = table
            self.entries = entries
        }
    }

    /// One table's changes, with the entries of the rules to insert already encoded.
    private struct Prepared {
        var changes: TableChanges
        var entries: [[[UInt8]]]
        /// The changes to the chains handled as entries.
        var entryEdits: [EntryEdit] = []

        var insertedRules: Int { entryEdits.reduce(changes.insertedRules) { $0 + $1.insertions.count } }
        var deletedRules: Int { entryEdits.reduce(changes.deletedRules) { $0 + $1.removals.count } }
        var isEmpty: Bool { changes.isEmpty && entryEdits.allSatisfy(\.isEmpty) }
    }

    /// Checks the model table and entries `body` left against each other: entries only for chains
    /// handled as entries that the table has, of this family, and no model rules in those chains.
    private func checkEntryChains(_ selection: EntryChainSelection?, table: Table, entries: [ChainName: EntryList]?) throws(KernelError) {
        for (chain, list) in entries ?? [:] {
            let operation = KernelError.Operation(family: family, table: table.name, chain: chain.rawValue)
            guard let selection, selection.contains(chain) else {
                throw KernelError(.refused, "The update set entries for chain \(chain) of the \(table.name) table, which is not handled as entries; name the chain in `entryChains:`.", operation: operation)
            }
            if list.family != family {
                throw KernelError(.refused, "The entries for chain \(chain) are \(list.family) but this backend writes \(family) tables.", operation: operation)
            }
            if table.chain(named: chain) == nil, !list.isEmpty {
                throw KernelError(.refused, "The update gave entries to chain \(chain), which the \(table.name) table does not have; create the chain in the model table too.", operation: operation)
            }
        }
        guard let selection else { return }
        for chain in table.chains where selection.contains(chain.name) && !chain.rules.isEmpty {
            throw KernelError(.refused, "Chain \(chain.name) is handled as entries, but the update gave it model rules; set its rules through `entries` only.",
                              operation: .init(family: family, table: table.name, chain: chain.name.rawValue))
        }
    }

    /// The edits that turn the entry chains of `old` into those of `new` (chains `new` deletes
    /// have none: they are flushed and deleted whole).
    private func entryEdits(
        _ selection: EntryChainSelection?, table: Table, from old: [ChainName: EntryList], to new: [ChainName: EntryList]?
    ) -> [EntryEdit] {
        guard let selection else { return [] }
        let empty = EntryList(family: family)
        return table.chains.compactMap { chain in
            guard selection.contains(chain.name) else { return nil }
            return EntryEdit(chain: chain.name, from: old[chain.name] ?? empty, to: new?[chain.name] ?? empty)
        }
    }

    private func transaction<C: LibiptcCalls>(
        _: C.Type, tables given: [TableName], entryChains: [TableName: EntryChainSelection], setCounters: Bool, dryRun: Bool,
        commitOrder: () -> [TableName]?, hooks: EntryHooks,
        _ body: (inout [TableName: Table], inout [TableName: [ChainName: EntryList]]) throws -> Void
    ) throws -> UpdateReport {
        let held = try lock.acquire(logger: logger)
        defer { held.keepAlive() }
        // The order of commits: as given, until `commitOrder` reorders the tables not committed yet.
        var names = given

        var report = UpdateReport()
        report.tables = names.map { UpdateReport.TableReport(table: $0) }
        // The tables as read before natgate committed anything to them: what the closure is given
        // again after EAGAIN, and what the tables are restored to when a later one fails.
        var original: [TableName: Table] = [:]
        var originalEntries: [TableName: [ChainName: EntryList]] = [:]
        var committed: [TableName] = []
        var start = 0
        var attempt = 1

        let clock = ContinuousClock()
        attempts: while true {
            let readStart = clock.now
            var snapshots: [Snapshot<C>] = []
            for name in names[start...] {
                let handle = try TableHandle<C>(name)
                let (table, entries) = try decodeTable(handle, entryChains: entryChains[name])
                original[name] = table
                if entryChains[name] != nil { originalEntries[name] = entries }
                snapshots.append(Snapshot(handle, table, entries))
            }
            let prepareStart = clock.now
            report.readDuration += prepareStart - readStart
            var working = original
            var workingEntries = originalEntries
            try body(&working, &workingEntries)
            if let extra = working.keys.first(where: { !names.contains($0) }) {
                throw KernelError(.refused, "The update added the \(extra) table, which it did not ask for; list every table to change in `tables:`.",
                                  operation: .init(family: family, table: extra))
            }
            if let wanted = commitOrder() {
                let pending = Array(names[start...])
                let reordered = wanted.filter(pending.contains)
                guard reordered.count == pending.count, Set(reordered) == Set(pending) else {
                    throw KernelError(.refused, "The commit order \(wanted.map(\.rawValue).joined(separator: ", ")) does not name each table still to commit (\(pending.map(\.rawValue).joined(separator: ", "))) once.",
                                      operation: .init(family: family))
                }
                if reordered != pending {
                    let byName = Dictionary(uniqueKeysWithValues: zip(pending, snapshots))
                    snapshots = reordered.map { byName[$0]! }
                    names.replaceSubrange(start..., with: reordered)
                }
            }

            // Check and encode every pending table before committing any.
            var prepared: [Prepared] = []
            for (offset, name) in names[start...].enumerated() {
                guard var desired = working[name] else {
                    throw KernelError(.refused, "The update removed the \(name) table from its dictionary; a table cannot be removed, only emptied.",
                                      operation: .init(family: family, table: name))
                }
                desired = desired.canonicallyOrdered
                try checkEntryChains(entryChains[name], table: desired, entries: workingEntries[name])
                try TableValidator.validate(desired, entries: workingEntries[name] ?? [:], expected: name, family: family, codecs: codecs)
                var changes = TableChanges(from: snapshots[offset].table, to: desired, setCounters: setCounters)
                var edits = entryEdits(entryChains[name], table: desired, from: snapshots[offset].entries, to: workingEntries[name])
                if setCounters {
                    for index in edits.indices { edits[index].setCounters(from: snapshots[offset].entries[edits[index].chain]) }
                }
                if !changes.isEmpty || !edits.allSatisfy(\.isEmpty) { changes.keepPolicyCounters(of: snapshots[offset].table) }
                let encoder = EntryEncoder(family: family, codecs: codecs)
                var entries: [[[UInt8]]] = []
                for edit in changes.ruleEdits {
                    var encoded: [[UInt8]] = []
                    for insertion in edit.insertions {
                        encoded.append(try encoder.encode(insertion.rule, table: name, chain: edit.chain, position: insertion.position + 1, counters: true))
                    }
                    entries.append(encoded)
                }
                prepared.append(Prepared(changes: changes, entries: entries, entryEdits: edits))
            }

            report.prepareDuration += clock.now - prepareStart
            for (offset, name) in names[start...].enumerated() {
                let position = start + offset
                // Reports stay in the order the tables were given.
                let index = given.firstIndex(of: name)!
                let changes = prepared[offset].changes
                report.tables[index].createdChains = changes.createdChains
                report.tables[index].deletedChains = changes.deletedChains
                report.tables[index].insertedRules = prepared[offset].insertedRules
                report.tables[index].deletedRules = prepared[offset].deletedRules
                report.tables[index].policyChanges = changes.policies.count
                guard !prepared[offset].isEmpty else {
                    logger.debug("table unchanged", metadata: ["table": "\(name)", "family": "\(family)"])
                    snapshots[offset].handle = nil
                    continue
                }
                let handle = snapshots[offset].handle.take()!
                do {
                    try apply(prepared[offset], to: handle)
                    // libiptc holds its own copy of every entry inserted: natgate's copies (the
                    // entries, and the rules they were encoded from) go before the commit builds
                    // the whole table in memory once more.
                    prepared[offset].entries = []
                    prepared[offset].changes.ruleEdits = []
                    prepared[offset].entryEdits = []
                    workingEntries[name] = nil
                    working[name] = nil
                    hooks.applied?(name)
                    try testHooks.beforeCommit?(name, attempt)
                } catch {
                    throw rollingBack(committed, original: original, entries: originalEntries, entryChains: entryChains, after: error, C.self)
                }
                if dryRun {
                    logger.info("test run: not committing", metadata: ["table": "\(name)", "changes": "\(report.tables[index])"])
                    continue
                }
                let began = clock.now
                do {
                    try handle.commitKeepingSnapshot()
                } catch let error where error.kind == .tableChanged && attempt < maximumAttempts {
                    logger.notice("table changed under natgate (EAGAIN); reading it again", metadata: ["table": "\(name)", "attempt": "\(attempt)"])
                    if let tableChanged = hooks.tableChanged {
                        do {
                            let (attempted, attemptedEntries) = try decodeTable(handle, entryChains: entryChains[name])
                            tableChanged(name, attempted, attemptedEntries)
                        } catch {
                            throw rollingBack(committed, original: original, entries: originalEntries, entryChains: entryChains, after: error, C.self)
                        }
                    }
                    attempt += 1
                    report.attempts = attempt
                    start = position
                    continue attempts
                } catch {
                    throw rollingBack(committed, original: original, entries: originalEntries, entryChains: entryChains, after: error, C.self)
                }
                let duration = clock.now - began
                report.tables[index].committed = true
                report.tables[index].commitDuration = duration
                committed.append(name)
                logger.debug("committed", metadata: [
                    "table": "\(name)", "family": "\(family)", "duration": "\(duration)",
                    "inserted": "\(report.tables[index].insertedRules)", "deleted": "\(report.tables[index].deletedRules)",
                ])
            }
            return report
        }
    }

    /// Applies prepared changes to libiptc's snapshot; nothing reaches the kernel until commit.
    private func apply<C>(_ prepared: Prepared, to handle: borrowing TableHandle<C>) throws(KernelError) {
        let changes = prepared.changes
        for chain in changes.createdChains { try handle.createChain(chain.rawValue) }
        for chain in changes.deletedChains { try handle.flush(chain: chain.rawValue) }
        for (edit, entries) in zip(changes.ruleEdits, prepared.entries) {
            for position in edit.removals { try handle.delete(chain: edit.chain.rawValue, at: position) }
            for (insertion, entry) in zip(edit.insertions, entries) {
                try handle.insert(entry, chain: edit.chain.rawValue, at: insertion.position)
            }
        }
        for edit in prepared.entryEdits {
            for position in edit.removals { try handle.delete(chain: edit.chain.rawValue, at: position) }
            for position in edit.insertions { try handle.insert(edit.new[position], chain: edit.chain.rawValue, at: position) }
            for update in edit.counterUpdates { try handle.setCounters(chain: edit.chain.rawValue, at: update.position, update.counters) }
        }
        for chain in changes.deletedChains { try handle.deleteChain(chain.rawValue) }
        for policy in changes.policies { try handle.setPolicy(policy.chain.rawValue, policy.policy, counters: policy.counters) }
        for kept in changes.keptPolicyCounters { try handle.setPolicy(kept.chain.rawValue, kept.policy, counters: kept.counters) }
        for update in changes.counterUpdates { try handle.setCounters(chain: update.chain.rawValue, at: update.position, update.counters) }
    }

    /// Restores the tables already committed (latest first) to what was read, and returns the
    /// error to throw: `failure` itself when nothing was committed yet.
    private func rollingBack<C: LibiptcCalls>(
        _ committed: [TableName], original: [TableName: Table], entries originalEntries: [TableName: [ChainName: EntryList]],
        entryChains: [TableName: EntryChainSelection], after failure: any Error, _: C.Type
    ) -> any Error {
        guard !committed.isEmpty else { return failure }
        let primary = (failure as? KernelError) ?? KernelError(.system, "\(failure)")
        var failures: [KernelError] = []
        for name in committed.reversed() {
            do {
                let handle = try TableHandle<C>(name)
                let (now, nowEntries) = try decodeTable(handle, entryChains: entryChains[name])
                var changes = TableChanges(from: now, to: original[name]!)
                let edits = entryEdits(entryChains[name], table: original[name]!, from: nowEntries, to: originalEntries[name])
                changes.keepPolicyCounters(of: original[name]!)
                let encoder = EntryEncoder(family: family, codecs: codecs)
                var entries: [[[UInt8]]] = []
                for edit in changes.ruleEdits {
                    var encoded: [[UInt8]] = []
                    for insertion in edit.insertions {
                        encoded.append(try encoder.encode(insertion.rule, table: name, chain: edit.chain, counters: true))
                    }
                    entries.append(encoded)
                }
                try apply(Prepared(changes: changes, entries: entries, entryEdits: edits), to: handle)
                try handle.commit()
                logger.notice("restored table after a later table failed", metadata: ["table": "\(name)"])
            } catch {
                failures.append(error)
            }
        }
        let names = committed.map(\.rawValue).joined(separator: ", ")
        if failures.isEmpty {
            return KernelError(
                .rolledBack,
                "The change failed at the \(primary.operation.table?.rawValue ?? "next") table, so the \(names) table(s) natgate had already committed were restored to what they were before: nothing changed. The cause:",
                operation: .init(family: family), related: [primary])
        }
        return KernelError(
            .rollbackFailed,
            "The change failed at the \(primary.operation.table?.rawValue ?? "next") table, and restoring the \(names) table(s) natgate had already committed failed too: the kernel holds part of the change. Check with `\(family == .ipv4 ? "iptables" : "ip6tables")-legacy-save` and run the change again. The causes:",
            operation: .init(family: family), related: [primary] + failures)
    }
}
