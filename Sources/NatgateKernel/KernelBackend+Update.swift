import Logging
import NatgateModel

/// What an `update` or `restore` did, table by table.
public struct UpdateReport: Sendable, CustomStringConvertible {
    public struct TableReport: Sendable {
        public var table: TableName
        public var createdChains: [ChainName] = []
        public var deletedChains: [ChainName] = []
        public var insertedRules = 0
        public var deletedRules = 0
        public var policyChanges = 0
        /// Whether the table was sent to the kernel; false when nothing changed or in a test run.
        public var committed = false
        /// How long `iptc_commit` took (the kernel's table replace, mostly).
        public var commitDuration: Duration?

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

    /// Changes one table; see `update(tables:_:)`.
    @discardableResult
    public func update(table: TableName, _ body: (inout Table) throws -> Void) throws -> UpdateReport {
        try update(tables: [table]) { tables in try body(&tables[table]!) }
    }

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

        public init(flush: Bool = true, counters: Bool = false, test: Bool = false) {
            self.flush = flush
            self.counters = counters
            self.test = test
        }
    }

    /// Commits whole tables, as `iptables-legacy-restore` does: each table atomically, in the
    /// order given, the earlier ones restored if a later one fails. Built on `update`, so only
    /// the rules that differ are touched (unlike iptables-legacy-restore, rules that stay keep
    /// their counters unless `options.counters` sets them).
    ///
    /// Equivalent to: `iptables-legacy-restore [--noflush] [--counters] [--test] < FILE`.
    /// - Throws: `KernelError`.
    @discardableResult
    public func restore(_ tables: [Table], options: RestoreOptions = RestoreOptions()) throws -> UpdateReport {
        for table in tables where table.family != family {
            throw KernelError(.refused, "The \(table.name) table is \(table.family) but this backend writes \(family) tables; restore it with a backend of its family (-6 for IPv6).",
                              operation: .init(family: family, table: table.name))
        }
        var seen = Set<TableName>()
        let names = tables.map(\.name).filter { seen.insert($0).inserted }
        return try transaction(tables: names, setCounters: options.counters, dryRun: options.test) { current in
            for table in tables {
                var table = table
                if !options.counters {
                    table.chains = table.chains.map { chain in
                        var chain = chain
                        chain.rules = chain.rules.map(\.withoutCounters)
                        return chain
                    }
                }
                current[table.name] = options.flush ? table : KernelBackend.merge(table, into: current[table.name]!)
            }
        }
    }

    /// `iptables-restore --noflush`: declared user chains replaced, built-in chains appended to
    /// (with the new policy), the rest kept.
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

    // MARK: - The transaction

    func transaction(tables: [TableName], setCounters: Bool, dryRun: Bool, _ body: (inout [TableName: Table]) throws -> Void) throws -> UpdateReport {
        guard !tables.isEmpty else { return UpdateReport() }
        guard Set(tables).count == tables.count else {
            throw KernelError(.refused, "A table is listed twice in one update: \(tables.map(\.rawValue).joined(separator: ", ")).")
        }
        return try namespace.run {
            switch family {
            case .ipv4: try transaction(IPv4Calls.self, tables: tables, setCounters: setCounters, dryRun: dryRun, body)
            case .ipv6: try transaction(IPv6Calls.self, tables: tables, setCounters: setCounters, dryRun: dryRun, body)
            }
        }
    }

    /// A table read under the lock, with the handle its changes will be applied to.
    private final class Snapshot<C: LibiptcCalls> {
        var handle: TableHandle<C>?
        let table: Table
        init(_ handle: consuming TableHandle<C>, _ table: Table) {
            self.handle = consume handle
            self.table = table
        }
    }

    /// One table's changes, with the entries of the rules to insert already encoded.
    private struct Prepared {
        var changes: TableChanges
        var entries: [[[UInt8]]]
    }

    private func transaction<C: LibiptcCalls>(
        _: C.Type, tables names: [TableName], setCounters: Bool, dryRun: Bool, _ body: (inout [TableName: Table]) throws -> Void
    ) throws -> UpdateReport {
        let held = try lock.acquire(logger: logger)
        defer { held.keepAlive() }

        var report = UpdateReport()
        report.tables = names.map { UpdateReport.TableReport(table: $0) }
        // The tables as read before natgate committed anything to them: what the closure is given
        // again after EAGAIN, and what the tables are restored to when a later one fails.
        var original: [TableName: Table] = [:]
        var committed: [TableName] = []
        var start = 0
        var attempt = 1

        let clock = ContinuousClock()
        attempts: while true {
            let readStart = clock.now
            var snapshots: [Snapshot<C>] = []
            for name in names[start...] {
                let handle = try TableHandle<C>(name)
                let table = try decodeTable(handle)
                original[name] = table
                snapshots.append(Snapshot(handle, table))
            }
            let prepareStart = clock.now
            report.readDuration += prepareStart - readStart
            var working = original
            try body(&working)
            if let extra = working.keys.first(where: { !names.contains($0) }) {
                throw KernelError(.refused, "The update added the \(extra) table, which it did not ask for; list every table to change in `tables:`.",
                                  operation: .init(family: family, table: extra))
            }

            // Check and encode every pending table before committing any.
            var prepared: [Prepared] = []
            for (offset, name) in names[start...].enumerated() {
                guard let desired = working[name] else {
                    throw KernelError(.refused, "The update removed the \(name) table from its dictionary; a table cannot be removed, only emptied.",
                                      operation: .init(family: family, table: name))
                }
                try TableValidator.validate(desired, expected: name, family: family)
                var changes = TableChanges(from: snapshots[offset].table, to: desired.canonicallyOrdered, setCounters: setCounters)
                if !changes.isEmpty { changes.keepPolicyCounters(of: snapshots[offset].table) }
                let encoder = EntryEncoder(family: family, codecs: codecs)
                var entries: [[[UInt8]]] = []
                for edit in changes.ruleEdits {
                    var encoded: [[UInt8]] = []
                    for insertion in edit.insertions {
                        encoded.append(try encoder.encode(insertion.rule, table: name, chain: edit.chain, position: insertion.position + 1, counters: true))
                    }
                    entries.append(encoded)
                }
                prepared.append(Prepared(changes: changes, entries: entries))
            }

            report.prepareDuration += clock.now - prepareStart
            for (offset, name) in names[start...].enumerated() {
                let index = start + offset
                let changes = prepared[offset].changes
                report.tables[index].createdChains = changes.createdChains
                report.tables[index].deletedChains = changes.deletedChains
                report.tables[index].insertedRules = changes.insertedRules
                report.tables[index].deletedRules = changes.deletedRules
                report.tables[index].policyChanges = changes.policies.count
                guard !changes.isEmpty else {
                    logger.debug("table unchanged", metadata: ["table": "\(name)", "family": "\(family)"])
                    snapshots[offset].handle = nil
                    continue
                }
                let handle = snapshots[offset].handle.take()!
                do {
                    try apply(prepared[offset], to: handle)
                    try testHooks.beforeCommit?(name, attempt)
                } catch {
                    throw rollingBack(committed, original: original, after: error, C.self)
                }
                if dryRun {
                    logger.info("test run: not committing", metadata: ["table": "\(name)", "changes": "\(report.tables[index])"])
                    continue
                }
                let began = clock.now
                do {
                    try handle.commit()
                } catch let error where error.kind == .tableChanged && attempt < maximumAttempts {
                    logger.notice("table changed under natgate (EAGAIN); reading it again", metadata: ["table": "\(name)", "attempt": "\(attempt)"])
                    attempt += 1
                    report.attempts = attempt
                    start = index
                    continue attempts
                } catch {
                    throw rollingBack(committed, original: original, after: error, C.self)
                }
                let duration = clock.now - began
                report.tables[index].committed = true
                report.tables[index].commitDuration = duration
                committed.append(name)
                logger.debug("committed", metadata: [
                    "table": "\(name)", "family": "\(family)", "duration": "\(duration)",
                    "inserted": "\(changes.insertedRules)", "deleted": "\(changes.deletedRules)",
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
        for chain in changes.deletedChains { try handle.deleteChain(chain.rawValue) }
        for policy in changes.policies { try handle.setPolicy(policy.chain.rawValue, policy.policy, counters: policy.counters) }
        for kept in changes.keptPolicyCounters { try handle.setPolicy(kept.chain.rawValue, kept.policy, counters: kept.counters) }
        for update in changes.counterUpdates { try handle.setCounters(chain: update.chain.rawValue, at: update.position, update.counters) }
    }

    /// Restores the tables already committed (latest first) to what was read, and returns the
    /// error to throw: `failure` itself when nothing was committed yet.
    private func rollingBack<C: LibiptcCalls>(_ committed: [TableName], original: [TableName: Table], after failure: any Error, _: C.Type) -> any Error {
        guard !committed.isEmpty else { return failure }
        let primary = (failure as? KernelError) ?? KernelError(.system, "\(failure)")
        var failures: [KernelError] = []
        for name in committed.reversed() {
            do {
                let handle = try TableHandle<C>(name)
                let now = try decodeTable(handle)
                var changes = TableChanges(from: now, to: original[name]!)
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
                try apply(Prepared(changes: changes, entries: entries), to: handle)
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
