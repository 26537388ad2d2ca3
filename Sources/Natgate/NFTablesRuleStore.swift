import Foundation
import Logging
import NatgateKernel
import NatgateModel
import NatgateNFTables
import NatgatePolicy
import NatgateSysctl

/// The nf_tables tables iptables-nft keeps (`ip`/`ip6` `filter` and `nat`) in one network
/// namespace, over netlink: the backend for hosts whose firewall (Docker, ufw, kube-proxy on
/// iptables-nft) lives in nf_tables.
///
/// Rules are read with `NFTRuleDecoder` and written with `NFTRuleEncoder`, exactly as
/// iptables-nft 1.8.9 writes them, so `iptables-nft-save` prints natgate's rules like its own.
///
/// A change is one transaction: within a `session`, `update` only stages its tables, and the
/// session's end commits everything it staged, both tables and both families, as one netlink
/// batch carrying the generation id of the first read. Only rules that changed are deleted (by
/// handle) or added (at their position); every other rule keeps its handle and counters. When
/// another program committed in between, the kernel refuses the batch, nothing is written, and
/// the session runs its change again on fresh reads, up to `attempts` times.
///
/// A rule in these tables that is not an iptables rule (written by `nft` into iptables-nft's
/// tables) is kept as it is and never rewritten: it reads as `-m nftables-only --handle N`, and a
/// change that would have to write it again is refused.
public struct NFTablesRuleStore: RuleStore {
    /// The network namespace whose nf_tables the store reads and writes.
    public var namespace: NetworkNamespace
    /// Where the store logs its commits and retries.
    public var logger: Logger
    /// Where a change in progress is recorded; see `ChangeIntentLog`.
    public var intentLog: ChangeIntentLog?
    /// How many times a session runs its change when another program keeps committing first.
    public var attempts: Int
    /// Whether gateways are members of the namespace's ip sets (`KernelIPSetStore`), sharing rules
    /// by shape, as on the legacy backend; false gives each gateway rules of its own. Sets are the
    /// kernel's ip_set subsystem, beside both backends: iptables-nft matches them with the same xt
    /// `set` match (through nft_compat) as iptables-legacy.
    public var usesIPSets: Bool
    /// Derive and check every change, commit none (`restore --test`).
    public var dryRun = false
    /// Test hooks; see `NFTablesRuleStore.TestHooks`.
    @_spi(Testing) public var testHooks = TestHooks()
    /// The open session's reads and staged tables; nil outside `session`.
    var transaction: Transaction?

    /// Code tests run at points of a change, to play another program.
    @_spi(Testing) public struct TestHooks: Sendable {
        /// Runs before each commit of a batch, after the change was derived (attempt 1, 2, …).
        public var beforeCommit: (@Sendable (_ attempt: Int) throws -> Void)?
        public init() {}
    }

    /// A store for the nf_tables of `namespace`.
    ///
    /// - Parameter namespace: the network namespace whose tables the store reads and writes.
    /// - Parameter logger: where the store logs its commits and retries.
    /// - Parameter intentLog: where a change in progress is recorded; nil keeps no record.
    /// - Parameter attempts: how many times a session runs its change when another program keeps
    ///   committing first (at least 1).
    /// - Parameter usesIPSets: false keeps the datapath of rules per gateway.
    public init(
        namespace: NetworkNamespace = .current, logger: Logger, intentLog: ChangeIntentLog? = ChangeIntentLog(), attempts: Int = 5,
        usesIPSets: Bool = true
    ) {
        self.namespace = namespace
        self.logger = logger
        self.intentLog = intentLog
        self.attempts = max(1, attempts)
        self.usesIPSets = usesIPSets
    }

    /// The namespace's ip sets, unless `usesIPSets` is false.
    public var ipSets: (any IPSetStore)? { usesIPSets ? KernelIPSetStore(namespace: namespace) : nil }

    static let tableNames: [TableName] = [.filter, .nat]

    // MARK: Sessions

    /// Runs `body` with a store whose updates are staged, then commits them as one batch. When the
    /// kernel refuses the batch because another program changed the ruleset since the first read
    /// (`NFTError.Kind.generationMismatch`), nothing was written: `body` runs again on fresh
    /// reads, at most `attempts` times in all.
    public func session<T>(_ body: (NFTablesRuleStore) throws -> T) throws -> T {
        if transaction != nil { return try body(self) }
        var attempt = 0
        while true {
            attempt += 1
            let transaction = Transaction(attempt: attempt)
            var store = self
            store.transaction = transaction
            do {
                let result = try body(store)
                try store.commitStaged()
                return result
            } catch {
                guard transaction.lostRace else { throw error }
                guard attempt < attempts else {
                    throw NFTError(.generationMismatch,
                        "Another program changed the nftables ruleset while natgate was changing it, \(attempts) times in a row; nothing of natgate's change was written. Run the command again when the other program is done.")
                }
                logger.notice("another program changed the nftables ruleset during the change (attempt \(attempt)); deriving the change again")
            }
        }
    }

    /// Commits what this session's updates staged, as one netlink batch across both tables and
    /// both families; nothing outside a session.
    public func commitStaged() throws {
        guard let transaction, !transaction.working.isEmpty else { return }
        // Encoded on the namespace's thread: `-m set` names become that namespace's set indexes.
        var batch = try namespace.run { try NFTablesDiff.batch(from: transaction.read, to: transaction.working) }
        batch.expectedGeneration = transaction.generation
        if dryRun {
            logger.debug("nftables: dry run, \(batch.operations.count) changes not committed")
            transaction.reset()
            return
        }
        if let hook = testHooks.beforeCommit { try hook(transaction.attempt) }
        do {
            try namespace.run { try batch.commit() }
        } catch let error as NFTError where error.kind == .generationMismatch {
            transaction.lostRace = true
            throw error
        }
        logger.debug("nftables: committed \(batch.operations.count) changes in one batch")
        // Later updates of this session (putting a change back) start from what is there now.
        transaction.reset()
    }

    /// Drops what this session staged and did not commit; true when there was something.
    public func discardStaged() -> Bool {
        guard let transaction, !transaction.working.isEmpty else { return false }
        transaction.reset()
        return true
    }

    // MARK: Reading and updating

    public func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table] {
        let read: [TableName: Table]
        if let transaction {
            try stage(family, in: transaction)
            read = transaction.working[family]!
        } else {
            read = try readTables(family).mapValues(\.table)
        }
        var result: [TableName: Table] = [:]
        for name in tables { result[name] = read[name] ?? Table.empty(name, family: family) }
        return result
    }

    public func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws {
        guard let transaction else {
            try session { store in try store.update(family, tables: tables, body) }
            return
        }
        try stage(family, in: transaction)
        var given: [TableName: Table] = [:]
        for name in tables { given[name] = transaction.working[family]![name] ?? Table.empty(name, family: family) }
        try body(&given)
        for name in tables {
            guard let table = given[name] else { continue }
            guard NFTablesRuleStore.tableNames.contains(name) else {
                throw NatgateError(.system, "natgate writes only the filter and nat tables on the nftables backend, not \(name).")
            }
            transaction.working[family]![name] = table
        }
    }

    /// Reads `family`'s tables into the session, once: later reads and updates see what the
    /// session staged.
    private func stage(_ family: Family, in transaction: Transaction) throws {
        guard transaction.working[family] == nil else { return }
        let (tables, generation) = try readTables(family, generation: true)
        if let expected = transaction.generation, expected != generation {
            // The other family was read at another generation: the change would mix two states.
            transaction.lostRace = true
            throw NFTError(.generationMismatch, "Another program changed the nftables ruleset while natgate read it; nothing was written.")
        }
        transaction.generation = generation
        transaction.read[family] = tables
        transaction.working[family] = tables.mapValues(\.table)
    }

    private func readTables(_ family: Family) throws -> [TableName: NFTablesDiff.ReadTable] {
        try readTables(family, generation: false).0
    }

    private func readTables(_ family: Family, generation: Bool) throws -> ([TableName: NFTablesDiff.ReadTable], UInt32) {
        let nftFamily = NFTablesDiff.nftFamily(family)
        // Decoded on the namespace's thread: `-m set` indexes name that namespace's sets.
        return try namespace.run {
            let ruleset = try NFTRuleset.read(family: nftFamily, rulesOf: NFTablesRuleStore.tableNames.map(\.rawValue))
            var tables: [TableName: NFTablesDiff.ReadTable] = [:]
            for name in NFTablesRuleStore.tableNames {
                tables[name] = try NFTablesDiff.ReadTable(name, family: family, from: ruleset)
            }
            return (tables, ruleset.generation)
        }
    }

    /// The whole of `family`'s iptables-nft tables that exist, as iptables-nft-save prints them
    /// (absent built-in chains as ACCEPT with no rules). For `natgate save`.
    public func ruleset(_ family: Family, tables: [TableName]) throws -> Ruleset {
        let read = try readTables(family)
        var result: [Table] = []
        for name in tables {
            guard let table = read[name], table.exists else { continue }
            if let opaque = table.opaqueHandles.first {
                throw NatgateError(.system,
                    "\(NFTablesDiff.nftFamily(family)) \(name) holds rules that are not iptables rules (\(opaque.chain) handle \(opaque.handle), \(table.opaqueHandles.count) in all), so natgate cannot save this table as iptables-save text. Read it with `nft list table \(NFTablesDiff.nftFamily(family)) \(name)`.")
            }
            result.append(table.table)
        }
        return Ruleset(family: family, tables: result)
    }

    /// Writes `ruleset`'s tables over the iptables-nft tables of the same name (a `restore`): one
    /// batch deleting the rules and user chains that are not in it and adding those that are.
    /// Tables not in `ruleset` are left alone.
    public func replace(_ ruleset: Ruleset) throws {
        try session { store in
            try store.update(ruleset.family, tables: ruleset.tables.map(\.name)) { tables in
                for var table in ruleset.tables {
                    // A built-in chain the text leaves out stays, empty, with its policy.
                    for builtin in table.name.builtinChains where table[chain: builtin] == nil {
                        table[chain: builtin] = Chain(name: builtin, policy: tables[table.name]?[chain: builtin]?.policy ?? .accept)
                    }
                    tables[table.name] = table
                }
            }
        }
    }

    // MARK: What the controller asks

    /// Unchanged rules keep their handles, so their counters too.
    public var keepsCountersOfUnchangedRules: Bool { true }

    /// Whether `family` has an iptables-nft filter or nat table; true when that cannot be read,
    /// so that the caller reads and reports why.
    public func mayHoldTables(_ family: Family) -> Bool {
        do {
            let ruleset = try namespace.run { try NFTRuleset.read(family: NFTablesDiff.nftFamily(family), rulesOf: []) }
            return ruleset.tables.contains { NFTablesRuleStore.tableNames.map(\.rawValue).contains($0.name) }
        } catch {
            return true
        }
    }

    public func inNamespace<T>(_ body: () throws -> T) throws -> T { try namespace.run(body) }

    public func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus? {
        NFTablesStatus.read(in: namespace, for: gateways, natgateInNFTables: true)
    }

    /// A session's reads and staged tables. Used by one thread at a time (the session's).
    final class Transaction: @unchecked Sendable {
        let attempt: Int
        /// The generation of the session's first read.
        var generation: UInt32?
        /// The tables as read, with the handles of their rules.
        var read: [Family: [TableName: NFTablesDiff.ReadTable]] = [:]
        /// The tables as the session's updates left them.
        var working: [Family: [TableName: Table]] = [:]
        /// The kernel refused the batch (or a read) because another program committed first.
        var lostRace = false

        init(attempt: Int) { self.attempt = attempt }

        func reset() {
            generation = nil
            read = [:]
            working = [:]
        }
    }
}
