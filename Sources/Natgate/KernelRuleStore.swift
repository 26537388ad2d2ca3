import Foundation
import Logging
@_spi(Testing) import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// The kernel's legacy iptables tables in one network namespace, through libiptc. natgate's own
/// chains are handed over as kernel entries (`EntryChains`), so that a change of thousands of
/// gateways builds no model rule per gateway.
public struct KernelRuleStore: RuleStore {
    /// The network namespace whose tables the store reads and writes.
    public var namespace: NetworkNamespace
    /// Where the store logs each commit (at debug level).
    public var logger: Logger
    /// The xtables lock every update takes (or, inside `session`, the one the session holds).
    public var lock: XtablesLock
    /// Where a change in progress is recorded; see `ChangeIntentLog`.
    public var intentLog: ChangeIntentLog?
    /// Test hooks handed to every backend; see `KernelBackend.TestHooks`.
    @_spi(Testing) public var testHooks = KernelBackend.TestHooks()
    /// Whether gateways are members of the namespace's ip sets (`KernelIPSetStore`), sharing
    /// rules by shape; false gives each gateway rules of its own, handed over as kernel entries.
    public var usesIPSets: Bool

    /// A store for the tables of `namespace`, taking `lock` for every update and recording
    /// changes in progress in `intentLog` (nil: no record).
    /// - Parameters:
    ///   - namespace: the network namespace whose tables and sets the store reads and writes.
    ///   - logger: where the store logs its steps.
    ///   - lock: the xtables lock every update takes.
    ///   - intentLog: where changes in progress are recorded; nil keeps no record.
    ///   - usesIPSets: false keeps the datapath of rules per gateway (for kernels without ip sets,
    ///     or to compare).
    public init(
        namespace: NetworkNamespace = .current, logger: Logger, lock: XtablesLock = XtablesLock(), intentLog: ChangeIntentLog? = ChangeIntentLog(),
        usesIPSets: Bool = true
    ) {
        self.namespace = namespace
        self.logger = logger
        self.lock = lock
        self.intentLog = intentLog
        self.usesIPSets = usesIPSets
    }

    /// The namespace's ip sets, unless `usesIPSets` is false.
    public var ipSets: (any IPSetStore)? { usesIPSets ? KernelIPSetStore(namespace: namespace) : nil }

    func backend(_ family: Family) -> KernelBackend {
        var backend = KernelBackend(family: family, namespace: namespace, lock: lock, logger: logger)
        backend.testHooks = testHooks
        return backend
    }

    /// Takes the xtables lock once and runs `body` with a copy of this store that holds it: every
    /// read and update `body` makes through it is one session, for both families.
    public func session<T>(_ body: (KernelRuleStore) throws -> T) throws -> T {
        try lock.hold(logger: logger) { held in
            var store = self
            store.lock = held
            return try body(store)
        }
    }

    /// Reads `tables`; a table the namespace does not have yet reads as empty, without creating it.
    ///
    /// Reading a table through libiptc makes the kernel create it, which would add an empty
    /// `*nat` block to iptables-save's output on a host that had none: natgate only creates a
    /// table when it writes rules to it.
    public func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table] {
        let existing = try existingTables(family)
        let present = tables.filter { existing.contains($0) }
        var result: [TableName: Table] = [:]
        if !present.isEmpty {
            for table in try backend(family).read(present) { result[table.name] = table }
        }
        for name in tables where result[name] == nil { result[name] = Table.empty(name, family: family) }
        return result
    }

    /// Reads `tables` as `read(_:tables:)` does, with the rules of natgate's owned chains as kernel
    /// entries; a missing table reads as empty, without creating it.
    public func readNative(_ family: Family, tables: [TableName]) throws -> ([TableName: Table], EntryChains)? {
        let (read, lists) = try self.read(family, tables: tables, entryChains: OwnedChains.byTable)
        return (read, EntryChains(family: family, lists: lists))
    }

    /// Reads `tables` as `read(_:tables:)` does, with the rules of `entryChains` as kernel entries
    /// (see `KernelBackend.read(_:entryChain:)`); a missing table reads as empty, without creating it.
    func read(_ family: Family, tables: [TableName], entryChains: [TableName: ChainName]) throws -> ([TableName: Table], [TableName: EntryList]) {
        let existing = try existingTables(family)
        var result: [TableName: Table] = [:]
        var entries: [TableName: EntryList] = [:]
        for name in tables {
            switch (existing.contains(name), entryChains[name]) {
            case (true, let chain?): (result[name], entries[name]) = try backend(family).read(name, entryChain: chain)
            case (true, nil): result[name] = try backend(family).read(name)
            case (false, let chain):
                result[name] = Table.empty(name, family: family)
                if chain != nil { entries[name] = EntryList(family: family) }
            }
        }
        return (result, entries)
    }

    /// Commits through `KernelBackend.update`, leaving out tables the namespace does not have and
    /// `body` leaves empty, so that they are not created.
    public func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws {
        let existing = try existingTables(family)
        var touched = tables.filter { existing.contains($0) }
        if touched.count < tables.count {
            // A dry run on what is there decides which missing tables the change needs.
            var probe = try read(family, tables: tables)
            try body(&probe)
            touched = tables.filter { existing.contains($0) || probe[$0] != Table.empty($0, family: family) }
        }
        guard !touched.isEmpty else { return }
        let skipped = tables.filter { !touched.contains($0) }
        let report = try backend(family).update(tables: touched) { given in
            var all = given
            for name in skipped { all[name] = Table.empty(name, family: family) }
            try body(&all)
            for name in skipped { all[name] = nil }
            given = all
        }
        logger.debug("\(family) \(report)")
    }

    /// `update` with the rules of natgate's owned chains handled as kernel entries; see
    /// `RuleStore.updateNative` and `KernelBackend.update(tables:entryChains:commitOrder:_:)`.
    /// Tables the namespace does not have and `body` leaves empty are not created, as in `update`.
    public func updateNative(
        _ family: Family, tables: [TableName], creatingMissing: Bool, commitOrder: () -> [TableName]? = { nil },
        _ body: (inout [TableName: Table], inout EntryChains) throws -> Bool
    ) throws -> Bool {
        let entryChains = OwnedChains.byTable.filter { tables.contains($0.key) }
        let existing = try existingTables(family)
        var touched = tables.filter { existing.contains($0) }
        func leftEmpty(_ name: TableName, _ tables: [TableName: Table], _ chains: EntryChains) -> Bool {
            tables[name] == Table.empty(name, family: family) && (chains.lists[name]?.isEmpty ?? true)
        }
        if creatingMissing {
            touched = tables
        } else if touched.count < tables.count {
            // A dry run on what is there decides which missing tables the change needs.
            let (read, probeLists) = try self.read(family, tables: tables, entryChains: entryChains)
            var probe = read
            var probeChains = EntryChains(family: family, lists: probeLists)
            guard try body(&probe, &probeChains) else { return false }
            touched = tables.filter { existing.contains($0) || !leftEmpty($0, probe, probeChains) }
            // Nothing to write anywhere: `body` has run on what there is, which stays as it is.
            if touched.isEmpty { return true }
        }
        guard !touched.isEmpty else { return true }
        let skipped = tables.filter { !touched.contains($0) }
        // `body` gave up, or wrote to a table the dry run said it would leave alone (another
        // program, ignoring the lock, changed the tables in between): nothing is committed.
        struct Stopped: Error { var wroteSkipped: Bool }
        do {
            let report = try backend(family).update(
                tables: touched, entryChains: entryChains.filter { touched.contains($0.key) },
                commitOrder: { commitOrder().map { $0.filter(touched.contains) } }
            ) { given, givenEntries in
                var all = given
                var chains = EntryChains(family: family, lists: givenEntries)
                for name in skipped {
                    all[name] = Table.empty(name, family: family)
                    if entryChains[name] != nil { chains.lists[name] = EntryList(family: family) }
                }
                guard try body(&all, &chains) else { throw Stopped(wroteSkipped: false) }
                for name in skipped {
                    guard leftEmpty(name, all, chains) else { throw Stopped(wroteSkipped: true) }
                    all[name] = nil
                    chains.lists[name] = nil
                }
                given = all
                givenEntries = chains.lists
            }
            logger.debug("\(family) \(report)")
            return true
        } catch let stopped as Stopped {
            // Written to a missing table after all: find out again, the careful way.
            guard stopped.wroteSkipped else { return false }
            return try updateNative(family, tables: tables, creatingMissing: false, commitOrder: commitOrder, body)
        }
    }

    /// `KernelBackend.update` leaves rules that did not change in place, counters and all.
    public var keepsCountersOfUnchangedRules: Bool { true }

    /// False only when the list of tables was read and holds neither filter nor nat, or the kernel
    /// has no legacy tables; true when the list cannot be read (not root), so that the caller goes
    /// on to read the tables and reports the permission error instead of "nothing here".
    public func mayHoldTables(_ family: Family) -> Bool {
        let tables: Set<TableName>?
        do { tables = try namespace.run { try tableNames(family) } } catch { return true }
        guard let tables else { return false }
        return tables.contains(.filter) || tables.contains(.nat)
    }

    /// The tables the namespace has, from `/proc/thread-self/net/ip{,6}_tables_names`.
    func existingTables(_ family: Family) throws -> Set<TableName> {
        // Without the file, let the backend say there are no legacy tables.
        try namespace.run { try tableNames(family) } ?? Set(TableName.allCases)
    }

    /// The names in `/proc/thread-self/net/ip{,6}_tables_names`, nil when the kernel has no legacy
    /// x_tables for the family. Call it on a thread in the namespace.
    /// - Throws: `KernelError` (`.permissionDenied`) when the list cannot be read.
    func tableNames(_ family: Family) throws -> Set<TableName>? {
        try LegacyTables.tablesInUse(family).map { Set($0.compactMap(TableName.init(rawValue:))) }
    }

    public func inNamespace<T>(_ body: () throws -> T) throws -> T { try namespace.run(body) }
}

/// A controller over the kernel's legacy iptables tables.
extension GatewayController {
    /// A controller for the kernel of the named network namespace (`/run/netns/NAME`), or of the
    /// current one when `namespace` is nil.
    ///
    /// - Parameter namespace: the name `ip netns add` gave the namespace, or nil for the namespace
    ///   the calling process is in.
    /// - Parameter manageForwarding: false leaves IP forwarding alone (`--no-sysctl`).
    /// - Parameter lockWait: how long a change waits for the xtables lock another program holds.
    /// - Parameter logger: where the controller and the store log (info: each change; debug: each
    ///   commit); by default nowhere, so that a tool that has not set up logging gets no output it
    ///   did not ask for.
    /// - Throws: `NatgateError` of kind `.invalidInput` when `namespace` is not a namespace name
    ///   (empty, or holding `/`). The namespace is opened by each call on the controller, which
    ///   throws `.system` when it cannot be (no `/run/netns/NAME`, not root).
    public static func kernel(
        namespace: String? = nil, manageForwarding: Bool = true, lockWait: Duration = .seconds(10),
        logger: Logger = Logger(label: "natgate", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(NatgateError) -> GatewayController {
        let resolved: NetworkNamespace
        do { resolved = try NetworkNamespace.named(namespace) } catch { throw NatgateError(wrapping: error) }
        return GatewayController(
            store: KernelRuleStore(namespace: resolved, logger: logger, lock: XtablesLock(timeout: lockWait)),
            forwarding: manageForwarding ? Forwarding() : nil, logger: logger)
    }
}

extension KernelError: BackendError {
    package var isInvalidInput: Bool { kind == .invalidNamespaceName }
    package var leftPartOfAChange: Bool { kind == .rollbackFailed }
}
