import Foundation
import NatgateKernel
import NatgateModel
import NatgateSysctl

/// Where the façade reads and commits tables: the kernel (`KernelRuleStore`), or memory for tests
/// and dry runs (`MemoryRuleStore`).
public protocol RuleStore: Sendable {
    /// The current `tables` of `family`.
    func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table]

    /// Runs `body` over the current `tables` of `family`, then commits each table it changed
    /// atomically, in the order of `tables`; a table `body` left as it was is not committed.
    ///
    /// When another program changes a table in between, the store may read again and run `body`
    /// again, so `body` must compute its change from the tables it is given. When a later table's
    /// commit fails, the earlier ones are put back before the error is thrown.
    func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws

    /// Runs `body` on a thread in the store's network namespace (sysctls resolve per thread).
    func inNamespace<T>(_ body: () throws -> T) throws -> T

    /// Whether `family` may have a filter or nat table at all; false lets `apply` and `flush` skip
    /// a family cheaply (no IPv6 legacy tables here, say).
    func mayHoldTables(_ family: Family) -> Bool

    /// Whether a rule `update` leaves equal (ignoring counters) keeps its counters without being
    /// given them; when false, natgate copies counters onto the rules it rewrites.
    var keepsCountersOfUnchangedRules: Bool { get }

    /// Runs `body` with a store whose reads and updates form one session: the kernel store takes
    /// the xtables lock once, before `body`'s first read, and lets it go after its last commit, so
    /// a change made in several commits (both tables, both families) has no gap another writer
    /// could slip into. Use the store `body` is given only inside `body`.
    func session<T>(_ body: (any RuleStore) throws -> T) throws -> T

    /// Where the store records a change while it commits it (see `ChangeIntentLog`); nil, the
    /// default, keeps no record: memory stores never write state files.
    var intentLog: ChangeIntentLog? { get }
    /// The forwarding a `GatewayController` over this store manages unless told otherwise: by
    /// default `Forwarding()`, the sysctls of the store's namespace and state files under
    /// /run/natgate; nil for a store that must not touch the host (`MemoryRuleStore`).
    var defaultForwarding: Forwarding? { get }
}

/// A store that can hand chains over as kernel entries instead of model rules (the kernel), so
/// that natgate changes and reads its own chains without a model rule per gateway.
/// `GatewayController` takes this way whenever its store offers it.
public protocol EntryChainStore: RuleStore {
    /// The current `tables` of `family`, with the rules of `entryChains` as entries; a table the
    /// store does not have reads as empty.
    func read(_ family: Family, tables: [TableName], entryChains: [TableName: ChainName]) throws -> ([TableName: Table], [TableName: EntryList])

    /// `update(_:tables:_:)` with the rules of `entryChains` as entries (see
    /// `KernelBackend.update(tables:entryChains:commitOrder:_:)`). `creatingMissing` says whether the
    /// change writes to tables the store does not have yet: true, yes; false, no; nil, find out.
    /// `commitOrder`, asked after `body`, may put the tables in another order to commit them in.
    func update(
        _ family: Family, tables: [TableName], entryChains: [TableName: ChainName], creatingMissing: Bool?,
        commitOrder: () -> [TableName]?,
        _ body: (inout [TableName: Table], inout [TableName: EntryList]) throws -> Void
    ) throws
}

extension EntryChainStore {
    /// `update(_:tables:entryChains:creatingMissing:commitOrder:_:)`, committing in the order of `tables`.
    public func update(
        _ family: Family, tables: [TableName], entryChains: [TableName: ChainName], creatingMissing: Bool?,
        _ body: (inout [TableName: Table], inout [TableName: EntryList]) throws -> Void
    ) throws {
        try update(family, tables: tables, entryChains: entryChains, creatingMissing: creatingMissing, commitOrder: { nil }, body)
    }
}

extension RuleStore {
    public func mayHoldTables(_ family: Family) -> Bool { true }
    public var keepsCountersOfUnchangedRules: Bool { false }
    public func session<T>(_ body: (any RuleStore) throws -> T) throws -> T { try body(self) }
    public var intentLog: ChangeIntentLog? { nil }
    public var defaultForwarding: Forwarding? { Forwarding() }
}

/// Tables held in memory, for tests and for embedding tools that want to see what natgate would
/// do to a given ruleset. Each `update` either changes every table it was given or none.
public final class MemoryRuleStore: RuleStore, @unchecked Sendable {
    private let lock = NSLock()
    private var tables: [Family: [TableName: Table]]
    /// How many table commits `update` has made, for tests that count them.
    public private(set) var commits: [(Family, TableName)] = []

    /// nil: a controller over tables in memory leaves the host's forwarding sysctls and state
    /// files alone unless it is given a `Forwarding` explicitly.
    public var defaultForwarding: Forwarding? { nil }

    /// A store holding `rulesets` (each family's tables); tables not given exist empty.
    public init(_ rulesets: [Ruleset] = []) {
        var tables: [Family: [TableName: Table]] = [:]
        for ruleset in rulesets {
            for table in ruleset.tables { tables[ruleset.family, default: [:]][table.name] = table }
        }
        self.tables = tables
    }

    /// The tables of `family` as a ruleset (filter then nat, then any other it holds).
    public func ruleset(_ family: Family) -> Ruleset {
        lock.withLock {
            Ruleset(family: family, tables: (tables[family] ?? [:]).values.sorted { $0.name < $1.name })
        }
    }

    public func read(_ family: Family, tables names: [TableName]) throws -> [TableName: Table] {
        lock.withLock {
            var result: [TableName: Table] = [:]
            for name in names { result[name] = tables[family]?[name] ?? Table.empty(name, family: family) }
            return result
        }
    }

    public func update(_ family: Family, tables names: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws {
        try lock.withLock {
            var working: [TableName: Table] = [:]
            for name in names { working[name] = tables[family]?[name] ?? Table.empty(name, family: family) }
            let before = working
            try body(&working)
            for name in names where working[name] != before[name] {
                tables[family, default: [:]][name] = working[name]
                commits.append((family, name))
            }
        }
    }

    public func inNamespace<T>(_ body: () throws -> T) throws -> T { try body() }
}
