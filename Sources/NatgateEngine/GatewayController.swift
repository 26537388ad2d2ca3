import Logging
import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// natgate as a library: enable, disable, apply, plan, status and flush gateways in one network
/// namespace.
///
/// With `import Natgate`, whose `kernel(namespace:)` makes a controller for the kernel's tables:
///
/// ```swift
/// import Natgate
///
/// func enableBlue() throws(NatgateError) -> GatewayController.Report {
///     let natgate = try GatewayController.kernel(namespace: "blue")
///     let gateway = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0")
///     print(try natgate.plan(.enable(gateway)))
///     return try natgate.enable(gateway)
/// }
/// ```
///
/// Each call reads natgate's gateways back from the kernel's owned chains (there is no other state),
/// works out the tables it wants, and commits them, each atomically, in one session of the store
/// (for the kernel: one hold of the xtables lock from the first read to the last commit). It never
/// changes, reorders or removes a rule it does not own. Commits go in a safe order, so no forwarded
/// packet leaves unmasqueraded: when gateways go, filter first (their forwarding stops) and then nat;
/// when gateways come or change, nat first (masquerading is in place) and then filter; when an
/// `apply` does both, nat (gateways before and after), filter, nat. A failed commit puts back the
/// earlier ones; a change killed between commits leaves a record (`ChangeIntentLog`) that `status`
/// reports and the next change completes. Forwarding is switched on after the rules are in and put
/// back after they are gone. Running a call twice changes nothing the second time.
public struct GatewayController: Sendable {
    /// A change to the set of gateways.
    public enum Operation: Hashable, Sendable, CustomStringConvertible {
        /// Add a gateway, or change the options of the one with its subnet and uplink.
        case enable(Gateway)
        /// Remove the gateway with this subnet and uplink.
        case disable(Gateway.Key)
        /// Make the gateways exactly these.
        case apply(GatewaySet)
        /// Remove every gateway and everything natgate owns, drift included.
        case flush

        public var description: String {
            switch self {
            case .enable(let gateway): "enable \(gateway)"
            case .disable(let key): "disable \(key)"
            case .apply(let set): "apply (\(set.count) gateways)"
            case .flush: "flush"
            }
        }

        /// The gateways whose whole definition the operation states, so that their undetermined
        /// rules (`Drift.undetermined`) can go; nil when it states every gateway (apply, flush).
        var settled: Set<Gateway.Key>? {
            switch self {
            case .enable(let gateway): [gateway.key]
            case .disable(let key): [key]
            case .apply, .flush: nil
            }
        }

        /// The gateways `operations`, made one after the other, state whole: nil when one of them
        /// states every gateway.
        static func settled(_ operations: [Operation]) -> Set<Gateway.Key>? {
            var keys: Set<Gateway.Key> = []
            for operation in operations {
                guard let settled = operation.settled else { return nil }
                keys.formUnion(settled)
            }
            return keys
        }
    }

    /// What a change did.
    public struct Report: Sendable, Codable, CustomStringConvertible {
        /// Whether the change did anything.
        public enum Outcome: String, Sendable, Codable {
            /// Tables or forwarding changed.
            case changed
            /// Everything already was as asked.
            case unchanged
            /// `disable` of a gateway that is not enabled.
            case absent
        }

        /// Whether anything changed.
        public var outcome: Outcome
        /// One sentence for a person.
        public var message: String
        /// The lines that were added and removed. With thousands of gateways rendering them costs
        /// more than the change itself, so they are rendered when first asked for.
        public var plan: Plan { lazyPlan.value }
        /// What the change did to forwarding sysctls: each key it set, restored or left alone.
        public var forwarding: [ForwardingChange]
        /// The gateways after the change. A change made by set members alone (docs/datapath.md,
        /// "Constant-time member changes") reads them back when first asked for, as reading them
        /// costs more than the change.
        public var gateways: [Gateway] {
            get { lazyGateways.value }
            set { lazyGateways = LazyValue { newValue } }
        }
        /// How many gateways came, went and changed options.
        public var gatewayChanges: GatewayChanges
        /// The drift the change repaired (a jump restored, an owned chain's rules restored), as
        /// `status` described it before.
        public var repaired: [String]
        /// Drift the change left because natgate does not repair it (a foreign jump, rules that
        /// determine no gateway), each saying what to do.
        public var unrepaired: [String]
        /// What the namespace's nftables ruleset does to the gateways the change added or changed
        /// (not to all of them: that is `status`); nil when none changed or the store is not a
        /// kernel's.
        public var nftables: NFTablesStatus?
        /// The gateways the change added or whose options it changed.
        var changedGateways: [Gateway] = []

        let lazyPlan: LazyPlan
        private var lazyGateways: LazyValue<[Gateway]>

        init(outcome: Outcome, message: String, plan: LazyPlan, forwarding: [ForwardingChange], gateways: [Gateway], gatewayChanges: GatewayChanges,
             repaired: [String] = [], unrepaired: [String] = []) {
            self.init(outcome: outcome, message: message, plan: plan, forwarding: forwarding, gateways: LazyValue { gateways },
                gatewayChanges: gatewayChanges, repaired: repaired, unrepaired: unrepaired)
        }

        init(outcome: Outcome, message: String, plan: LazyPlan, forwarding: [ForwardingChange], gateways: LazyValue<[Gateway]>, gatewayChanges: GatewayChanges,
             repaired: [String] = [], unrepaired: [String] = []) {
            self.outcome = outcome
            self.message = message
            self.lazyPlan = plan
            self.forwarding = forwarding
            self.lazyGateways = gateways
            self.gatewayChanges = gatewayChanges
            self.repaired = repaired
            self.unrepaired = unrepaired
        }

        enum CodingKeys: String, CodingKey { case outcome, message, plan, forwarding, gateways, gatewayChanges, repaired, unrepaired, nftables }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            outcome = try container.decode(Outcome.self, forKey: .outcome)
            message = try container.decode(String.self, forKey: .message)
            let plan = try container.decode(Plan.self, forKey: .plan)
            lazyPlan = LazyPlan { plan }
            forwarding = try container.decode([ForwardingChange].self, forKey: .forwarding)
            let gateways = try container.decode([Gateway].self, forKey: .gateways)
            lazyGateways = LazyValue { gateways }
            gatewayChanges = try container.decode(GatewayChanges.self, forKey: .gatewayChanges)
            repaired = try container.decodeIfPresent([String].self, forKey: .repaired) ?? []
            unrepaired = try container.decodeIfPresent([String].self, forKey: .unrepaired) ?? []
            nftables = try container.decodeIfPresent(NFTablesStatus.self, forKey: .nftables)
        }

        /// The report as `natgate enable --json` prints it, `schemaVersion` and `version` first
        /// when it is the whole document (see `OutputEnvelope`).
        public func encode(to encoder: any Encoder) throws {
            try OutputEnvelope.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(message, forKey: .message)
            try container.encode(plan, forKey: .plan)
            try container.encode(forwarding, forKey: .forwarding)
            try container.encode(gateways, forKey: .gateways)
            try container.encode(gatewayChanges, forKey: .gatewayChanges)
            try container.encode(repaired, forKey: .repaired)
            try container.encode(unrepaired, forKey: .unrepaired)
            try container.encodeIfPresent(nftables, forKey: .nftables)
        }

        public var description: String { message }
    }

    /// How many gateways a change added, removed and changed the options of.
    public struct GatewayChanges: Hashable, Sendable, Codable, CustomStringConvertible {
        /// Gateways that came.
        public var added = 0
        /// Gateways that went.
        public var removed = 0
        /// Gateways whose subnet and uplink stayed but whose options changed.
        public var changed = 0

        /// Counts given directly.
        public init(added: Int = 0, removed: Int = 0, changed: Int = 0) {
            self.added = added
            self.removed = removed
            self.changed = changed
        }

        /// The changes from `old` to `new`.
        public init(from old: GatewaySet, to new: GatewaySet) {
            // Both sets are sorted by key (a set holds one gateway per key): one merge.
            let a = old.gateways
            let b = new.gateways
            var i = 0
            var j = 0
            while i < a.count || j < b.count {
                if j == b.count || (i < a.count && a[i].key < b[j].key) {
                    removed += 1
                    i += 1
                } else if i == a.count || b[j].key < a[i].key {
                    added += 1
                    j += 1
                } else {
                    if a[i] != b[j] { changed += 1 }
                    i += 1
                    j += 1
                }
            }
        }

        /// How many gateways the change touched in all.
        public var total: Int { added + removed + changed }

        static func + (a: GatewayChanges, b: GatewayChanges) -> GatewayChanges {
            GatewayChanges(added: a.added + b.added, removed: a.removed + b.removed, changed: a.changed + b.changed)
        }

        /// `2 added, 1 removed`; `no gateway changed` when none did.
        public var description: String {
            let parts = [(added, "added"), (removed, "removed"), (changed, "changed")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            return parts.isEmpty ? "no gateway changed" : parts.joined(separator: ", ")
        }
    }

    /// Where the tables live: the kernel's (`KernelRuleStore`, in `Natgate`) or memory.
    public var store: any RuleStore
    /// Which kernel backend the store is and why, for `status`; nil for a store built by hand.
    public var backend: BackendStatus?
    /// Turns forwarding on and puts it back; nil leaves forwarding alone (`--no-sysctl`).
    public var forwarding: Forwarding?
    /// Where the controller logs: each change's outcome at info, an interrupted change it completes
    /// at notice, a failed rollback at error, the steps at debug.
    public var logger: Logger
    /// Compiles gateways into the rules of natgate's chains and reads them back.
    public var compiler: GatewayCompiler
    /// Whether `enable` and `disable` of a gateway whose shapes are in place change set members
    /// alone, without reading every gateway (`memberChange`); false makes every change read them
    /// all, for tests that compare both ways.
    var changesMembersAlone = true

    /// A controller over any store (memory for tests, the kernel for real) that manages the
    /// forwarding the store says (`RuleStore.defaultForwarding`): the host's sysctls and state
    /// files for the kernel, none for a `MemoryRuleStore`, which never touches the host.
    public init(store: any RuleStore, logger: Logger, compiler: GatewayCompiler = GatewayCompiler()) {
        self.init(store: store, forwarding: store.defaultForwarding, logger: logger, compiler: compiler)
    }

    /// A controller over any store that manages `forwarding` (nil leaves forwarding alone).
    ///
    /// A store with ip sets (`RuleStore.ipSets`) makes the compiler's datapath `.ipSets`:
    /// gateways share rules by shape and are set members.
    public init(store: any RuleStore, forwarding: Forwarding?, logger: Logger, compiler: GatewayCompiler = GatewayCompiler()) {
        self.store = store
        self.forwarding = forwarding
        self.logger = logger
        self.compiler = compiler
        if store.ipSets != nil { self.compiler.datapath = .ipSets }
    }

    // MARK: Verbs

    /// Enables `gateway`; a gateway of the same subnet and uplink is replaced.
    ///
    /// - Throws: `NatgateError` (`.invalidInput`) when it conflicts with an enabled gateway;
    ///   (`.system`) when the kernel refuses. Nothing is changed in either case.
    @discardableResult
    public func enable(_ gateway: Gateway) throws(NatgateError) -> Report { try perform(.enable(gateway)) }

    /// Disables the gateway of `key`; a gateway that is not enabled is reported as `.absent`.
    @discardableResult
    public func disable(_ key: Gateway.Key) throws(NatgateError) -> Report { try perform(.disable(key)) }

    /// Makes the enabled gateways exactly `set` (declarative: others are disabled).
    @discardableResult
    public func apply(_ set: GatewaySet) throws(NatgateError) -> Report { try perform(.apply(set)) }

    /// Removes everything natgate owns and puts forwarding back.
    @discardableResult
    public func flush() throws(NatgateError) -> Report { try perform(.flush) }

    /// The lines `operation` would add and remove, changing nothing (after completing an
    /// interrupted change, as the change itself would).
    public func plan(_ operation: Operation) throws(NatgateError) -> Plan {
        do {
            var plan = Plan()
            let pending = try store.intentLog.map { log in try store.inNamespace { try log.interrupted() }?.operations ?? [] } ?? []
            for family in try families(for: pending + [operation]) {
                let (tables, sets) = try planChanges(family, pending + [operation])
                plan.tables += tables
                if !sets.isEmpty { plan.sets.append(Plan.SetChange(family: family, lines: sets)) }
            }
            plan.tables.removeAll { $0.lines.isEmpty }
            return plan
        } catch {
            throw NatgateError(wrapping: error)
        }
    }

    /// One family's lines of `plan`: read as a change reads (natgate's chains as entries from the
    /// kernel when they hold just gateways' rules, else the model), nothing committed.
    private func planChanges(_ family: Family, _ operations: [Operation]) throws -> ([Plan.TableChange], [String]) {
        try planChanges(in: store, family, operations)
    }

    private func planChanges<Store: RuleStore>(in store: Store, _ family: Family, _ operations: [Operation]) throws -> ([Plan.TableChange], [String]) {
        if let ipSets = store.ipSets {
            let tables = try store.read(family, tables: OwnedChains.tables)
            let sets = try Self.familySets(ipSets, family)
            return try planChanges(family, operations, ModelChainsEditor(tables: tables, family: family, compiler: compiler, keepingCounters: true, sets: sets))
        }
        if let (tables, chains) = try store.readNative(family, tables: OwnedChains.tables),
           let editor = NativeChainsEditor(tables: tables, chains: chains, family: family, compiler: compiler, codec: Store.NativeChains.codec(family)) {
            return try planChanges(family, operations, editor)
        }
        let tables = try store.read(family, tables: OwnedChains.tables)
        return try planChanges(family, operations, ModelChainsEditor(tables: tables, family: family, compiler: compiler, keepingCounters: true))
    }

    private func planChanges<Editor: OwnedChainsEditor>(_ family: Family, _ operations: [Operation], _ editor: Editor) throws -> ([Plan.TableChange], [String]) {
        let before = editor.state
        let current = editor.current
        let target = try self.target(of: operations, family: family, current: current)
        var after = editor
        try after.install(target, settled: Operation.settled(operations))
        // Listed in the order the change commits them: filter first when gateways only go (no
        // subnet and uplink comes).
        let keys = GatewayChanges(from: current, to: target)
        let onlyRemoved = keys.added == 0 && keys.removed > 0
        return (before.changes(to: after.state, order: order(adding: !onlyRemoved), compiler: compiler), before.setLines(to: after.state))
    }

    /// The `natgate-*` sets of `family` in `store` (names without a family suffix count as IPv4).
    static func familySets(_ store: any IPSetStore, _ family: Family) throws -> [String: IPSetContents] {
        try store.natgateSets().filter { (GatewayShape.family(ofSet: $0.key) ?? .ipv4) == family }
    }

    // MARK: The change itself

    /// Makes the change in one session of the store (for the kernel: the xtables lock held from
    /// the first read to the last commit, both families included).
    func perform(_ operation: Operation) throws(NatgateError) -> Report {
        do {
            var report = try session(store, operation)
            // Both subsystems see every packet: say what in nf_tables blocks the gateways just made.
            if !report.changedGateways.isEmpty { report.nftables = store.nftablesStatus(for: report.changedGateways) }
            return report
        } catch {
            throw NatgateError(wrapping: error)
        }
    }

    private func session<Store: RuleStore>(_ store: Store, _ operation: Operation) throws -> Report {
        try store.session { store in
            var session = self
            session.store = store
            return try session.performInSession(operation)
        }
    }

    private func performInSession(_ operation: Operation) throws(NatgateError) -> Report {
        logger.debug("natgate \(operation)")
        var planParts: [@Sendable () -> [Plan.TableChange]] = []
        var setParts: [Plan.SetChange] = []
        var changedTables = false
        var gatewayChanges = GatewayChanges()
        var forwardingChanges: [ForwardingChange] = []
        var finalGateways: [Gateway] = []
        var done: [(Family, GatewaySet)] = []
        var afterwards: [(Family, GatewaySet)] = []
        var changedGateways: [Gateway] = []
        var absent = false
        var repaired: [String] = []
        var unrepaired: [String] = []
        let intent = ChangeIntentWriter(log: store.intentLog, store: store)
        do {
            let pending = try intent.load(then: operation)
            if !pending.isEmpty { logger.notice("completing an interrupted change first: \(InterruptedChange(operations: pending, pid: 0))") }
            // A gateway of shapes already in place: set members alone (GatewayController+Members).
            if pending.isEmpty, let report = try memberChange(operation, intent: intent) { return report }
            for family in try families(for: pending + [operation]) {
                let result = try change(family, operation, after: pending, intent: intent)
                absent = absent || result.absent
                repaired += result.repaired
                unrepaired += result.unrepaired
                done.append((family, result.previous))
                afterwards.append((family, result.after))
                let before = Dictionary(result.previous.gateways.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
                changedGateways += result.after.gateways.filter { before[$0.key] != $0 }
                changedTables = changedTables || result.changed
                planParts.append(result.lines)
                if !result.setLines.isEmpty { setParts.append(Plan.SetChange(family: family, lines: result.setLines)) }
                finalGateways += result.after.gateways
                gatewayChanges = gatewayChanges + GatewayChanges(from: result.previous, to: result.after)
            }
            // A store that stages a session's updates (nf_tables) commits them all here, at once.
            try store.commitStaged()
            for (family, after) in afterwards {
                do {
                    forwardingChanges += try adjustForwarding(family, gateways: after)
                } catch {
                    logger.error("forwarding failed, putting the \(family) gateways back: \(error)")
                    throw error
                }
            }
            try intent.finish()
        } catch {
            // Undo the families already committed, newest first, then report the first error.
            var restored = !UnfinishedChange.leftPartOfAChange(error)
            // Staged and not committed: nothing reached the kernel, nothing to put back. With ip
            // sets, though, each family's tables were committed before its set changes (and the
            // member-only changes commit no table at all): the families done are put back below.
            if store.discardStaged() && store.ipSets == nil { done.removeAll() }
            for (family, previous) in done.reversed() {
                do {
                    _ = try change(family, .apply(previous))
                    _ = try? adjustForwarding(family, gateways: previous)
                } catch let undo {
                    restored = false
                    logger.critical("could not put the \(family) gateways back after a failure: \(undo)")
                }
            }
            if !done.isEmpty {
                do { try store.commitStaged() } catch let undo {
                    restored = false
                    logger.critical("could not put the gateways back after a failure: \(undo)")
                }
            }
            // The kernel is as before: so is the record. Otherwise it stays, and says so.
            if restored { intent.abandon() }
            throw NatgateError(wrapping: error)
        }
        let parts = planParts
        let setChanges = setParts
        let plan = LazyPlan {
            var plan = Plan(tables: parts.flatMap { $0() }, sets: setChanges)
            plan.tables.removeAll { $0.lines.isEmpty }
            return plan
        }
        let changed = changedTables || forwardingChanges.contains(where: \.changedValue)
        let outcome: Report.Outcome = absent ? .absent : (changed ? .changed : .unchanged)
        var message: String
        let repairs = "repaired what had drifted: " + repaired.joined(separator: " ")
        switch (operation, outcome) {
        case (.disable(let key), .absent) where !repaired.isEmpty: message = "No gateway \(key) is enabled; \(repairs)"
        case (.disable(let key), .absent): message = absentMessage(key, gateways: finalGateways)
        case (.enable(let gateway), .unchanged): message = "Gateway \(gateway.key) is already enabled as asked; nothing changed."
        case (.enable(let gateway), _) where gatewayChanges.total == 0 && !repaired.isEmpty:
            message = "Gateway \(gateway.key) is already enabled as asked; \(repairs)"
        case (.enable(let gateway), _): message = "Enabled gateway \(gateway)."
        case (.disable(let key), _): message = "Disabled gateway \(key)."
        case (.apply, .unchanged): message = "The \(finalGateways.count) gateways are already as the policy says; nothing changed."
        case (.apply, _) where gatewayChanges.total == 0 && !repaired.isEmpty:
            message = "The \(finalGateways.count) gateways are already as the policy says; \(repairs)"
        case (.apply, _): message = "Applied the policy: \(finalGateways.count) gateways (\(gatewayChanges))."
        case (.flush, .unchanged): message = "natgate owns nothing here; nothing changed."
        case (.flush, _): message = "Removed every natgate chain and rule."
        }
        if !repaired.isEmpty, !message.contains(repairs), operation != .flush { message += " Also " + repairs }
        for note in unrepaired { message += " Not repaired: " + note }
        logger.info("\(message)")
        var report = Report(outcome: outcome, message: message, plan: plan, forwarding: forwardingChanges, gateways: finalGateways.sorted(),
            gatewayChanges: gatewayChanges, repaired: repaired, unrepaired: unrepaired)
        report.changedGateways = changedGateways
        return report
    }

    /// What committing one family's change found and did.
    struct FamilyChange {
        /// The gateways before.
        var previous: GatewaySet
        /// The gateways after.
        var after: GatewaySet
        /// Whether a disable found nothing to disable.
        var absent: Bool
        /// Whether any table changed.
        var changed: Bool
        /// The lines changed, table by table in commit order; rendered only when called.
        var lines: @Sendable () -> [Plan.TableChange]
        /// The drift found before that the change repaired, and the drift it left.
        var repaired: [String] = []
        var unrepaired: [String] = []
        /// The `ipset` lines of the change, in the order it made them.
        var setLines: [String] = []
    }

    /// Commits one family's change, after the operations `pending` (an interrupted change it
    /// completes): one transaction when the change only adds (nat, then filter) or only removes
    /// (filter, then nat); two when it does both (nat; then filter and nat).
    ///
    /// On a store with a form of its own for natgate's chains (`RuleStore.NativeChains`: the
    /// kernel's entries), the change is made in that form; when the chains hold anything but
    /// gateways' exact rules (drift), nothing is committed that way and the change is made again
    /// over the model, which repairs it. A store without one goes over the model at once.
    private func change(_ family: Family, _ operation: Operation, after pending: [Operation] = [], intent: ChangeIntentWriter? = nil) throws -> FamilyChange {
        try change(in: store, family, operation, after: pending, intent: intent)
    }

    private func change<Store: RuleStore>(
        in store: Store, _ family: Family, _ operation: Operation, after pending: [Operation], intent: ChangeIntentWriter?
    ) throws -> FamilyChange {
        if let ipSets = store.ipSets {
            return try change(in: store, sets: ipSets, family, operation, after: pending, intent: intent)
        }
        var codec = Store.NativeChains.codec(family)
        let native = try change(family, operation, after: pending, intent: intent, reorders: true) {
            (tables, adding, known, commitOrder, body: (inout NativeChainsEditor<Store.NativeChains>) throws -> Void) in
            // A step that adds gateways writes rules to both tables: missing ones are created
            // without a dry run.
            try store.updateNative(family, tables: tables, creatingMissing: adding, commitOrder: commitOrder) { tables, chains in
                let editor = if let known {
                    // natgate's own interim state, in this session: not read back.
                    NativeChainsEditor(tables: tables, chains: chains, family: family, compiler: compiler, codec: codec, assuming: known)
                } else {
                    NativeChainsEditor(tables: tables, chains: chains, family: family, compiler: compiler, codec: codec)
                }
                guard var editor else { return false }
                try body(&editor)
                tables = editor.tables
                chains = editor.chains
                codec = editor.codec
                return true
            }
        }
        if let native { return native }
        logger.debug("changing natgate's chains through the model")
        let keepingCounters = !store.keepsCountersOfUnchangedRules
        let model = try change(family, operation, after: pending, intent: intent, reorders: false) { (tables, _, _, _, body: (inout ModelChainsEditor) throws -> Void) in
            try store.update(family, tables: tables) { tables in
                var editor = ModelChainsEditor(tables: tables, family: family, compiler: compiler, keepingCounters: keepingCounters)
                try body(&editor)
                tables = editor.tables
            }
            return true
        }
        // The model way always runs its transactions.
        return model!
    }

    /// `change` for a store with ip sets: the owned chains hold the rules of the gateways'
    /// shapes (few, whatever the number of gateways), changed over the model; the gateways are
    /// set members. Set changes go around the table commits (`SetChanges`): sets created, nat
    /// members added and filter members deleted before; filter members added, nat members deleted
    /// and sets no shape needs destroyed after. A gateway of a shape that is already there is
    /// enabled or disabled by members alone: no table is committed.
    private func change<Store: RuleStore>(
        in store: Store, sets ipSets: any IPSetStore, _ family: Family, _ operation: Operation, after pending: [Operation], intent: ChangeIntentWriter?
    ) throws -> FamilyChange {
        let before = try Self.familySets(ipSets, family)
        let read = ModelChainsEditor(
            tables: try store.read(family, tables: OwnedChains.tables), family: family, compiler: compiler,
            keepingCounters: !store.keepsCountersOfUnchangedRules, sets: before, comparingChains: true)
        let base = try target(of: pending, family: family, current: read.current)
        let wanted = try target(of: operation, family: family, current: base)
        let after = SetChanges.target(
            before: before, current: read.current, wanted: wanted, settled: Operation.settled(pending + [operation]) != nil, compiler: compiler, family: family)
        let setChanges = SetChanges(family: family, before: before, after: after)
        if !setChanges.isEmpty { try intent?.begin() }
        try setChanges.prepare(ipSets)
        let keepingCounters = !store.keepsCountersOfUnchangedRules
        var result: FamilyChange
        do {
            result = try change(family, operation, after: pending, intent: intent, reorders: false) { (tables, _, _, _, body: (inout ModelChainsEditor) throws -> Void) in
                try store.update(family, tables: tables) { tables in
                    // Read once: what was read before, when natgate's chains and jumps are as it was
                    // (counters and other tools' chains may have moved on; they are taken as given).
                    var editor: ModelChainsEditor
                    if Self.sameOwnedChains(tables, read.tables) {
                        editor = read
                        editor.tables = tables
                    } else {
                        editor = ModelChainsEditor(tables: tables, family: family, compiler: compiler, keepingCounters: keepingCounters, sets: before)
                    }
                    try body(&editor)
                    tables = editor.tables
                }
                return true
            }!
            // A store that stages a session's updates (nf_tables) commits this family's tables now:
            // the set changes after the tables (filter members in, nat members out, unused sets
            // destroyed) need the rules committed first, as on the legacy backend.
            try store.commitStaged()
        } catch {
            // The tables are as they were: so go the sets, as far as they can.
            do {
                let now = try Self.familySets(ipSets, family)
                let back = SetChanges(family: family, before: now, after: before)
                try back.prepare(ipSets)
                _ = try back.complete(ipSets)
            } catch let undo {
                logger.critical("could not put the \(family) ip sets back after a failure: \(undo)")
                throw UnfinishedChange(family: family, failure: error, undo: undo)
            }
            throw error
        }
        let left = try setChanges.complete(ipSets)
        result.unrepaired += left
        result.changed = result.changed || !setChanges.isEmpty
        result.setLines = setChanges.lines
        return result
    }

    /// Whether natgate's owned chains and the built-in chains that jump to them hold the same
    /// rules (counters aside) in `a` and `b`.
    static func sameOwnedChains(_ a: [TableName: Table], _ b: [TableName: Table]) -> Bool {
        OwnedChains.tables.allSatisfy { name in
            [OwnedChains.owned(in: name), OwnedChains.hook(in: name)].allSatisfy { chain in
                guard let chain else { return true }
                return a[name]?.chain(named: chain)?.rules.map(\.withoutCounters) == b[name]?.chain(named: chain)?.rules.map(\.withoutCounters)
            }
        }
    }

    /// `change` over one way of editing: `transaction(tables, adding, known, commitOrder, body)`
    /// runs `body` on an editor of the family's `tables` and commits what it leaves, or returns
    /// false, committing nothing, when it cannot edit them that way (then this returns nil, which
    /// only the first transaction may do); `adding` says the step adds gateways, so it writes to
    /// every table (false: find out); `known`, when set, is
    /// what natgate left in the owned chains earlier in this session, taken as read; when
    /// `reorders`, the transaction commits in the order `commitOrder` gives after `body` (the
    /// kernel store), else in the order of `tables`.
    ///
    /// The fewest commits that never forward a packet unmasqueraded (every subnet and uplink the
    /// filter table forwards has its nat rule): a change that only adds, nat then filter; one that
    /// only removes, filter then nat; one that does both, three: nat to the gateways before and
    /// after, filter to those after, nat to those after. The first step reads both tables and
    /// commits what its order allows; when a later step fails, the earlier commit is put back.
    private func change<Editor: OwnedChainsEditor>(
        _ family: Family, _ operation: Operation, after pending: [Operation], intent: ChangeIntentWriter?, reorders: Bool,
        through transaction: (
            _ tables: [TableName], _ adding: Bool, _ known: GatewaySet?, _ commitOrder: () -> [TableName]?, _ body: (inout Editor) throws -> Void
        ) throws -> Bool
    ) throws -> FamilyChange? {
        var previous = GatewaySet()
        var absent = false
        var after = GatewaySet()
        var first: OwnedTablesState?
        var final: OwnedTablesState?
        var onlyRemoved = false
        // Whose undetermined rules may go: the gateways the operations state whole.
        let settled = Operation.settled(pending + [operation])
        // What is left after step 1: the whole change in another order (`reordered`), or the rest
        // of one that adds and removes (`interimFrom`: the editor as read, to put nat back from).
        var reordered: [TableName]?
        var interimFrom: Editor?
        // The order step 1 commits in, when the store lets it choose after reading.
        var firstCommitOrder: [TableName]?
        let removesFirst: Bool
        let firstAdding: Bool
        switch operation {
        case .enable: (removesFirst, firstAdding) = (false, true)
        case .apply(let set):
            // Gateways of the family to apply: both tables end with rules, missing ones are created
            // without a dry run. None: nothing is written to a missing table.
            (removesFirst, firstAdding) = (false, pending.isEmpty && !set.gateways(of: family).isEmpty)
        case .disable, .flush: (removesFirst, firstAdding) = (true, false)
        }

        // Step 1: read both tables; enable and apply usually add (nat first), disable and flush
        // remove (filter first). When the change goes the other way, the kernel store commits in
        // the other order; over another store nothing is committed here.
        let made = try transaction(order(adding: !removesFirst), firstAdding, nil, { firstCommitOrder }) { editor in
            first = editor.state
            let current = editor.current
            previous = current
            let base = try self.target(of: pending, family: family, current: current)
            if case .disable(let key) = operation, key.subnet.family == family { absent = base.gateway(key) == nil }
            let target = try self.target(of: operation, family: family, current: base)
            after = target
            if target != current { try intent?.begin() }
            // Which subnets and uplinks come and go (one merge of the two sorted sets).
            let keys = GatewayChanges(from: current, to: target)
            let adds = keys.added > 0
            let removes = keys.removed > 0
            onlyRemoved = removes && !adds
            reordered = nil
            interimFrom = nil
            firstCommitOrder = nil
            if adds && removes {
                interimFrom = editor
                let currentKeys = Set(current.gateways.map(\.key))
                try editor.installNAT(Gateway.merging(current.gateways, target.gateways.filter { !currentKeys.contains($0.key) }), settled: settled)
            } else if (adds && removesFirst) || (removes && !removesFirst) {
                if reorders {
                    firstCommitOrder = order(adding: adds)
                    try editor.install(target, settled: settled)
                } else {
                    reordered = order(adding: adds)
                }
            } else {
                try editor.install(target, settled: settled)
            }
            final = editor.state
        }
        guard made else { return nil }

        // natgate's own state from here on: later transactions of this way always run.
        if let tables = reordered {
            // Step 2, the whole change in the order it needs.
            let target = after
            _ = try transaction(tables, tables.first == .nat, nil, { nil }) { editor in
                try editor.install(target, settled: settled)
                final = editor.state
            }
        } else if let before = interimFrom {
            // Steps 2 and 3: filter to the gateways after, then nat to them.
            let target = after
            do {
                _ = try transaction(order(adding: false), false, previous, { nil }) { editor in
                    try editor.install(target, settled: settled)
                    final = editor.state
                }
            } catch {
                do {
                    _ = try transaction([.nat, .filter], false, previous, { nil }) { editor in editor.restore(.nat, from: before) }
                } catch let undo {
                    throw UnfinishedChange(family: family, failure: error, undo: undo)
                }
                throw error
            }
        }
        guard let first, let final else { return FamilyChange(previous: previous, after: after, absent: absent, changed: false, lines: { [] }) }
        // Report the tables in the order they were committed.
        let commitOrder = order(adding: !onlyRemoved)
        let compiler = self.compiler
        let changed = first.differs(from: final, compiler: compiler)
        // Drift before and after, as `status` says it: what went was repaired. In a store's own
        // form the owned chains are exact (else that way is not taken), so this reads jumps.
        let before = changed ? first.drift(compiler: compiler) : []
        let left = final.drift(compiler: compiler)
        return FamilyChange(
            previous: previous, after: after, absent: absent, changed: changed,
            lines: { first.changes(to: final, order: commitOrder, compiler: compiler) },
            repaired: before.filter { !left.contains($0) }.map(\.repairedDescription), unrepaired: left.map(\.description))
    }

    /// The set `operations` ask for in `family`, one after the other, given the current one.
    func target(of operations: [Operation], family: Family, current: GatewaySet) throws -> GatewaySet {
        try operations.reduce(current) { set, operation in try target(of: operation, family: family, current: set) }
    }

    /// The set `operation` asks for in `family`, given the current one.
    func target(of operation: Operation, family: Family, current: GatewaySet) throws -> GatewaySet {
        switch operation {
        case .enable(let gateway):
            guard gateway.family == family else { return current }
            return try current.adding(gateway)
        case .disable(let key):
            return current.removing(key)
        case .apply(let set):
            return try GatewaySet(set.gateways(of: family))
        case .flush:
            return GatewaySet()
        }
    }

    /// The families some operations read and may change.
    func families(for operations: [Operation]) throws -> [Family] {
        var families = Set<Family>()
        for operation in operations { families.formUnion(try self.families(for: operation)) }
        return Family.allCases.filter(families.contains)
    }

    /// The families an operation reads and may change.
    func families(for operation: Operation) throws -> [Family] {
        switch operation {
        case .enable(let gateway): [gateway.family]
        case .disable(let key): [key.subnet.family]
        case .apply(let set): Family.allCases.filter { family in !set.gateways(of: family).isEmpty || store.mayHoldTables(family) }
        case .flush: Family.allCases.filter(store.mayHoldTables)
        }
    }

    /// The commit order: nat first when gateways come, filter first when they go.
    func order(adding: Bool) -> [TableName] { adding ? [.nat, .filter] : [.filter, .nat] }

    /// Forwarding on while `family` has gateways; put back once it has none.
    func adjustForwarding(_ family: Family, gateways: GatewaySet) throws -> [ForwardingChange] {
        guard let forwarding else { return [] }
        let key = SysctlKey.forwarding(family)
        let outcome = try store.inNamespace {
            gateways.isEmpty ? try forwarding.restore(key) : try forwarding.enable(key)
        }
        guard let change = ForwardingChange(outcome) else {
            logger.debug("\(outcome)")
            return []
        }
        logger.info("\(outcome)")
        return [change]
    }

    private func absentMessage(_ key: Gateway.Key, gateways: [Gateway]) -> String {
        if let other = gateways.first(where: { $0.subnet == key.subnet }) {
            return "No gateway \(key) is enabled: \(key.subnet) goes through \(other.uplink). Nothing changed; to disable it, run `natgate disable \(other.key)`."
        }
        return "No gateway \(key) is enabled; nothing changed."
    }
}

extension GatewaySet {
    /// The gateways read back from the kernel as a set, even when they conflict (drift): the
    /// first gateway of each subnet is kept.
    init(lenient gateways: [Gateway]) {
        if let set = try? GatewaySet(gateways) {
            self = set
            return
        }
        var seen: [IPNetwork] = []
        var kept: [Gateway] = []
        for gateway in gateways.sorted() where !seen.contains(where: { $0.overlaps(gateway.subnet) }) {
            seen.append(gateway.subnet)
            kept.append(gateway)
        }
        self = (try? GatewaySet(kept)) ?? GatewaySet()
    }
}
