import Foundation
import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// Where the façade reads and commits tables: the kernel (`KernelRuleStore`), or memory for tests
/// and dry runs (`MemoryRuleStore`).
///
/// A store says what it can do through its types, and `GatewayController` picks its way of
/// changing natgate's chains from them, never by casting:
///
/// - Every store reads and commits model tables (`read`, `update`). That alone is a whole store:
///   natgate then reads and writes its owned chains as model rules, a `Rule` per rule.
/// - A backend that can hand natgate's owned chains over in a form of its own, cheaper than model
///   rules at thousands of gateways, names that form as `NativeChains` (an `OwnedChainsForm`) and
///   implements `readNative(_:tables:)` and `updateNative(_:tables:creatingMissing:commitOrder:_:)`.
///   The libiptc store's form is its kernel entries (`EntryChains`: one `EntryList` per table).
///   Changes then go through those two, on a generic editor of the form; when the chains hold
///   anything but gateways' exact rules (`OwnedChainsForm.gateways` is nil: drift), the change
///   commits nothing that way and is made again over the model, which repairs it.
///
/// A new backend (nf_tables, say) plugs in the same way: a store type with the model operations,
/// and, to be fast, a native form whose value holds natgate's chains (`OwnedChains.byTable`) as the
/// backend reads and writes them (its rules' expressions), built per gateway from a per-family
/// cache (`OwnedChainsForm.Codec`, like `GatewayEntries`), with `gateways` reading them back
/// exactly or not at all. Nothing else in the façade changes. The other requirements have
/// defaults for a store that keeps nothing on the host; a kernel backend overrides them as
/// `KernelRuleStore` does: `session` (hold the backend's lock from the first read to the last
/// commit), `intentLog`, `keepsCountersOfUnchangedRules`, `mayHoldTables`, `inNamespace`, and
/// `nftablesStatus(for:)`.
public protocol RuleStore: Sendable {
    /// natgate's owned chains in the store's own form; `ModelRules`, the default, when it has
    /// none (natgate's chains are then changed as model rules, through `update(_:tables:_:)`).
    associatedtype NativeChains: OwnedChainsForm = ModelRules

    /// The current `tables` of `family`.
    func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table]

    /// Runs `body` over the current `tables` of `family`, then commits each table it changed
    /// atomically, in the order of `tables`; a table `body` left as it was is not committed.
    ///
    /// When another program changes a table in between, the store may read again and run `body`
    /// again, so `body` must compute its change from the tables it is given. When a later table's
    /// commit fails, the earlier ones are put back before the error is thrown.
    func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws

    /// The current `tables` of `family`, with the rules of natgate's owned chains
    /// (`OwnedChains.byTable`) handed over as `NativeChains` (their model chains without rules);
    /// a table the store does not have reads as empty. nil for a store without a form of its own.
    func readNative(_ family: Family, tables: [TableName]) throws -> ([TableName: Table], NativeChains)?

    /// `update(_:tables:_:)` with the rules of natgate's owned chains handed over as
    /// `NativeChains`: `body` may change the model tables (create or delete an owned chain, jump to
    /// it; the owned chains stay without model rules) and sets the owned chains' rules in the
    /// native form. It returns false to commit nothing.
    ///
    /// - Parameter family: the family whose tables change.
    /// - Parameter tables: the tables the change reads and may write, in commit order.
    /// - Parameter body: makes the change in the tables and the owned chains it is given; returns
    ///   false to commit nothing.
    /// - Parameter creatingMissing: true when the change writes rules to every table in `tables`:
    ///   tables the store does not have yet are created at once. False: the store finds out which
    ///   missing tables `body` writes to (running it once more, on what is there, when one is
    ///   missing), and creates only those.
    /// - Parameter commitOrder: asked after `body`: the order to commit the tables in, when `body`
    ///   has found it depends on the change (nil keeps the order of `tables`).
    /// - Returns: false when `body` did, or at once (without running `body`) for a store without a
    ///   form of its own: the change then goes through `update(_:tables:_:)`.
    func updateNative(
        _ family: Family, tables: [TableName], creatingMissing: Bool, commitOrder: () -> [TableName]?,
        _ body: (inout [TableName: Table], inout NativeChains) throws -> Bool
    ) throws -> Bool

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
    func session<T>(_ body: (Self) throws -> T) throws -> T

    /// Commits what this session's updates have staged, for a store that commits a whole session
    /// as one transaction (nf_tables: one netlink batch); a store that commits each `update` at
    /// once has nothing staged (the default does nothing). The controller calls it once the
    /// change is made, before it switches forwarding on.
    func commitStaged() throws
    /// Drops what this session staged and has not committed; true when there was something
    /// (none of those updates reached the kernel, so there is nothing to put back).
    func discardStaged() -> Bool

    /// Where the store records a change while it commits it (see `ChangeIntentLog`); nil, the
    /// default, keeps no record: memory stores never write state files.
    var intentLog: ChangeIntentLog? { get }
    /// What the namespace's nf_tables ruleset does to `gateways` (it may block them whatever
    /// natgate's rules say), for `status`; nil, the default, for a store whose rules are not a
    /// kernel's.
    func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus?
    /// The forwarding a `GatewayController` over this store manages unless told otherwise: by
    /// default `Forwarding()`, the sysctls of the store's namespace and state files under
    /// /run/natgate; nil for a store that must not touch the host (`MemoryRuleStore`).
    var defaultForwarding: Forwarding? { get }
    /// The ip sets of the store's namespace. With them, gateways share rules by shape and are set
    /// members (`GatewayCompiler.Datapath.ipSets`); nil, the default, gives every gateway rules
    /// of its own.
    var ipSets: (any IPSetStore)? { get }
}

/// natgate's owned chains (`OwnedChains.byTable`) of one family in a store's own form, which
/// natgate reads back into gateways and writes from gateways without a model rule per rule.
///
/// What a backend implements to be fast (see `RuleStore`): the value holds each owned chain's
/// rules as the backend hands them over and takes them back, and
/// - `gateways` reads them back: non-nil only when they are, rule for rule and in order, exactly
///   what `set` makes for those gateways (each gateway's `GatewayCompiler.rules(for:table:)`), so
///   that anything else (a foreign rule, an edited one, an earlier natgate's) goes to the model,
///   which says what drifted and repairs it;
/// - `set` makes a table's owned chain hold exactly the rules of some gateways, in order;
/// - `Codec` is what both reuse across gateways and changes of one family (templates, caches):
///   one is made per family and change, and passed along.
public protocol OwnedChainsForm: Sendable {
    /// What the form reuses across the gateways of one family (templates, caches).
    associatedtype Codec
    /// A fresh cache for `family`.
    static func codec(_ family: Family) -> Codec
    /// The gateways the chains hold, as a set in its order; nil when they hold anything else.
    func gateways(_ codec: inout Codec) -> GatewaySet?
    /// Makes `table`'s owned chain hold exactly the rules of `gateways` (of the chains' family),
    /// in the order given (a change's interim nat chain holds gateways that may conflict); empty
    /// without gateways.
    mutating func set(_ table: TableName, to gateways: [Gateway], _ codec: inout Codec) throws
    /// Puts `table`'s owned chain back as `earlier` holds it.
    mutating func restore(_ table: TableName, from earlier: Self)
}

/// The form of a store that has none of its own: natgate's chains are model rules in its tables.
/// No value exists, so nothing is ever handed over in it.
public enum ModelRules: OwnedChainsForm {
    public static func codec(_ family: Family) {}
    public func gateways(_ codec: inout Void) -> GatewaySet? { switch self {} }
    public mutating func set(_ table: TableName, to gateways: [Gateway], _ codec: inout Void) throws {}
    public mutating func restore(_ table: TableName, from earlier: ModelRules) {}
}

extension RuleStore where NativeChains == ModelRules {
    /// nil: natgate's chains are read as model rules.
    public func readNative(_ family: Family, tables: [TableName]) throws -> ([TableName: Table], ModelRules)? { nil }

    /// False at once: changes go through `update(_:tables:_:)`.
    public func updateNative(
        _ family: Family, tables: [TableName], creatingMissing: Bool, commitOrder: () -> [TableName]?,
        _ body: (inout [TableName: Table], inout ModelRules) throws -> Bool
    ) throws -> Bool { false }
}

extension RuleStore {
    public func mayHoldTables(_ family: Family) -> Bool { true }
    public var keepsCountersOfUnchangedRules: Bool { false }
    public func session<T>(_ body: (Self) throws -> T) throws -> T { try body(self) }
    public func commitStaged() throws {}
    public func discardStaged() -> Bool { false }
    public var intentLog: ChangeIntentLog? { nil }
    public func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus? { nil }
    public var defaultForwarding: Forwarding? { Forwarding() }
    public var ipSets: (any IPSetStore)? { nil }
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

    /// The sets gateways are members of, when the store was given some.
    public let ipSets: (any IPSetStore)?

    /// A store holding `rulesets` (each family's tables); tables not given exist empty. With
    /// `ipSets`, gateways go in sets by shape (`GatewayCompiler.Datapath.ipSets`); without,
    /// each has rules of its own.
    public init(_ rulesets: [Ruleset] = [], ipSets: MemoryIPSetStore? = nil) {
        self.ipSets = ipSets
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
