import NatgateModel
import NatgatePolicy

/// One family's tables as a change found or left them: the model tables and, when natgate's own
/// chains were handled as kernel entries, the gateways those chains hold (their rules are then
/// not in the model).
struct OwnedTablesState: Sendable {
    var family: Family
    var tables: [TableName: Table]
    /// Set when the owned chains are entries: their model chains are empty and these gateways'
    /// rules are what the kernel holds in them.
    var gateways: GatewaySet?
    /// The family's `natgate-*` ip sets, when the store has sets (`RuleStore.ipSets`).
    var sets: [String: IPSetContents]? = nil
    /// The drift, when the editor that made this state already knows it (read with the chains
    /// compared, or installed from a state without drift, which natgate's own install keeps so).
    var knownDrift: [Drift]? = nil

    /// The `ipset` lines from `self`'s sets to `later`'s, in the order a change makes them.
    func setLines(to later: OwnedTablesState) -> [String] {
        guard sets != nil || later.sets != nil else { return [] }
        return SetChanges(family: family, before: sets ?? [:], after: later.sets ?? [:]).lines
    }

    /// The lines from `self` to `later`, table by table in `order`: the model's differences, then
    /// the owned chains' rules of the gateways that differ. Rendering is the expensive part of a
    /// large change, so reports call this only when the lines are asked for.
    func changes(to later: OwnedTablesState, order: [TableName], compiler: GatewayCompiler) -> [Plan.TableChange] {
        order.compactMap { name -> Plan.TableChange? in
            guard let before = tables[name], let after = later.tables[name] else { return nil }
            var change = Plan.diff(from: before, to: after)
            if let old = gateways, let new = later.gateways, let chain = OwnedChains.owned(in: name) {
                change.lines += OwnedTablesState.ownedLines(from: old, to: new, family: family, table: name, chain: chain, compiler: compiler)
            }
            return change
        }
    }

    /// The drift of these tables, as `status` words it (owned chains held as entries are exact).
    func drift(compiler: GatewayCompiler) -> [Drift] {
        if let knownDrift { return knownDrift }
        return compiler.read(family: family, filter: tables[.filter], nat: tables[.nat], sets: sets ?? [:]).drift
            .filter { gateways == nil || !$0.isAboutNativeChains }
    }

    /// Whether anything differs from `self` to `later`, without rendering the owned chains' rules.
    func differs(from later: OwnedTablesState, compiler: GatewayCompiler) -> Bool {
        if sets != later.sets { return true }
        if let old = gateways, let new = later.gateways {
            if old != new { return true }
            return OwnedChains.tables.contains { name in
                guard let before = tables[name], let after = later.tables[name] else { return false }
                return !TableDiff.lines(from: before, to: after).isEmpty
            }
        }
        return !changes(to: later, order: OwnedChains.tables, compiler: compiler).allSatisfy { $0.lines.isEmpty }
    }

    /// The `-`/`+` lines of an owned chain going from `old`'s gateways to `new`'s: gateways equal
    /// at both ends compile to equal rules and are skipped, the rest is rendered and diffed as
    /// `TableDiff` diffs rule lines, so the lines are those the model would give.
    static func ownedLines(from old: GatewaySet, to new: GatewaySet, family: Family, table: TableName, chain: ChainName, compiler: GatewayCompiler) -> [String] {
        let a = old.gateways(of: family)
        let b = new.gateways(of: family)
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        func lines(_ gateways: ArraySlice<Gateway>) -> [String] {
            gateways.flatMap { compiler.rules(for: $0, table: table) }.map { $0.saveLine(family: family, table: table, chain: chain) }
        }
        return TableDiff.lineDiff(lines(a[head..<(a.count - tail)]), lines(b[head..<(b.count - tail)]))
    }
}

/// What one transaction does to natgate's chains in one family's tables: read the gateways they
/// hold, and make them hold another set. Two ways: over model rules (any store), or over the
/// store's own form of them (`RuleStore.NativeChains`: the kernel's entries), which never builds a
/// model rule per gateway.
protocol OwnedChainsEditor {
    /// The gateways the owned chains hold now; of conflicting gateways (drift), the first.
    var current: GatewaySet { get }
    /// Makes the owned chains hold exactly `set`'s gateways of the family, and the built-in
    /// chains jump to them (or neither, without any).
    ///
    /// Rules that determine no gateway (`Drift.undetermined`) stay where they are, but for those
    /// naming a gateway in `settled`; `settled` nil (the whole set is stated: apply, flush)
    /// removes them all.
    mutating func install(_ set: GatewaySet, settled: Set<Gateway.Key>?) throws
    /// Makes natgate's nat chain hold the nat rules of `gateways`, in order, and leaves the filter
    /// table alone: the first commit of a change that both adds and removes gateways. Rules that
    /// determine no gateway are kept as `install` keeps them.
    mutating func installNAT(_ gateways: [Gateway], settled: Set<Gateway.Key>?) throws
    /// Puts `table` back as `earlier` holds it.
    mutating func restore(_ table: TableName, from earlier: Self)
    var state: OwnedTablesState { get }
}

/// The owned chains as model rules.
struct ModelChainsEditor: OwnedChainsEditor {
    var tables: [TableName: Table]
    let family: Family
    let compiler: GatewayCompiler
    /// Whether new rules must carry the counters of equal rules they replace (stores that do not
    /// keep them by themselves).
    let keepingCounters: Bool
    private(set) var current: GatewaySet

    /// The family's `natgate-*` sets, for a store with sets: read from, and made to hold what
    /// `install` installs.
    private(set) var sets: [String: IPSetContents]?

    /// The drift of the tables as `state` holds them, when known (see `OwnedTablesState.knownDrift`).
    private var knownDrift: [Drift]?

    /// - Parameter comparingChains: true reads the drift too (one read instead of two, for a
    ///   change that reports what it repaired).
    init(tables: [TableName: Table], family: Family, compiler: GatewayCompiler, keepingCounters: Bool, sets: [String: IPSetContents]? = nil, comparingChains: Bool = false) {
        self.tables = tables
        self.family = family
        self.compiler = compiler
        self.keepingCounters = keepingCounters
        self.sets = sets
        let readback = compiler.read(family: family, filter: tables[.filter], nat: tables[.nat], sets: sets ?? [:], comparingChains: comparingChains)
        knownDrift = comparingChains ? readback.drift : nil
        current = GatewaySet(lenient: readback.gateways)
        kept = readback.kept
    }

    /// The rules that determine no gateway, kept where they are.
    private(set) var kept: [TableName: [KeptRule]]

    mutating func install(_ set: GatewaySet, settled: Set<Gateway.Key>?) throws {
        // From tables without drift, natgate's own install leaves none (with sets: only the sets
        // drift can keep, unattributed ones, are then absent).
        knownDrift = knownDrift == [] && sets != nil ? [] : nil
        let layout = compiler.datapath == .ipSets ? compiler.layout(set.gateways(of: family)) : nil
        for name in OwnedChains.tables {
            let keeping = settled.map { settled in (kept[name] ?? []).filter { $0.key.map { !settled.contains($0) } ?? true } } ?? []
            try compiler.install(set, into: &tables[name]!, keepingCounters: keepingCounters, keeping: keeping, layout: layout)
            kept[name] = keeping
        }
        if let before = sets {
            sets = SetChanges.target(
                before: before, current: current, wanted: set, settled: settled != nil, compiler: compiler, family: family,
                wantedSets: layout.map { compiler.sets(for: $0, family: family) })
        }
        current = set
    }

    mutating func installNAT(_ gateways: [Gateway], settled: Set<Gateway.Key>?) throws {
        knownDrift = nil
        guard let owned = OwnedChains.owned(in: .nat) else { return }
        let ofFamily = gateways.filter { $0.family == family }
        let keeping = settled.map { settled in (kept[.nat] ?? []).filter { $0.key.map { !settled.contains($0) } ?? true } } ?? []
        let expected = GatewayCompiler.merging(ofFamily.map { compiler.rules(for: $0, table: .nat) }, keys: ofFamily.map(\.key), kept: keeping)
        kept[.nat] = keeping
        try compiler.installChain(present: !expected.isEmpty, into: &tables[.nat]!)
        guard !expected.isEmpty, var chain = tables[.nat]![chain: owned] else { return }
        if keepingCounters {
            var counted: [Rule: Rule] = [:]
            for rule in chain.rules where counted[rule.withoutCounters] == nil { counted[rule.withoutCounters] = rule }
            chain.rules = expected.map { counted[$0.withoutCounters] ?? $0 }
        } else {
            chain.rules = expected
        }
        tables[.nat]![chain: owned] = chain
    }

    mutating func restore(_ table: TableName, from earlier: ModelChainsEditor) {
        knownDrift = nil
        tables[table] = earlier.tables[table]
    }

    var state: OwnedTablesState { OwnedTablesState(family: family, tables: tables, gateways: nil, sets: sets, knownDrift: knownDrift) }
}

/// The owned chains in a store's own form (`RuleStore.NativeChains`; the kernel's entries):
/// gateways are read back by the form, which compares its rules with what they compile to, and
/// written by it (the kernel's from per-shape templates, `GatewayEntries`).
struct NativeChainsEditor<Chains: OwnedChainsForm>: OwnedChainsEditor {
    var tables: [TableName: Table]
    var chains: Chains
    let family: Family
    let compiler: GatewayCompiler
    var codec: Chains.Codec
    private(set) var current: GatewaySet

    /// nil when the chains are not exactly some gateways' rules: the change goes over the model.
    init?(tables: [TableName: Table], chains: Chains, family: Family, compiler: GatewayCompiler, codec: Chains.Codec) {
        var codec = codec
        guard let set = chains.gateways(&codec) else { return nil }
        self.init(tables: tables, chains: chains, family: family, compiler: compiler, codec: codec, assuming: set)
    }

    /// An editor of tables whose owned chains natgate itself left in the middle of a change (in
    /// the same lock session): they are not read back, `current` is taken as given.
    init(tables: [TableName: Table], chains: Chains, family: Family, compiler: GatewayCompiler, codec: Chains.Codec, assuming current: GatewaySet) {
        self.tables = tables
        self.chains = chains
        self.family = family
        self.compiler = compiler
        self.codec = codec
        self.current = current
    }

    /// The native form holds no undetermined rules (they make `gateways` nil): `settled` is moot.
    mutating func install(_ set: GatewaySet, settled: Set<Gateway.Key>?) throws {
        let gateways = set.gateways(of: family)
        for name in OwnedChains.tables {
            try compiler.installChain(present: !gateways.isEmpty, into: &tables[name]!)
            try chains.set(name, to: gateways, &codec)
        }
        current = set
    }

    mutating func installNAT(_ gateways: [Gateway], settled: Set<Gateway.Key>?) throws {
        let mine = gateways.filter { $0.family == family }
        try compiler.installChain(present: !mine.isEmpty, into: &tables[.nat]!)
        try chains.set(.nat, to: mine, &codec)
    }

    mutating func restore(_ table: TableName, from earlier: NativeChainsEditor) {
        tables[table] = earlier.tables[table]
        chains.restore(table, from: earlier.chains)
    }

    var state: OwnedTablesState { OwnedTablesState(family: family, tables: tables, gateways: current) }
}

extension OwnedChains {
    /// natgate's chain in each table it writes: what a store hands over in its own form.
    package static let byTable: [TableName: ChainName] = Dictionary(
        uniqueKeysWithValues: tables.compactMap { name in owned(in: name).map { (name, $0) } })
}

extension Drift {
    /// What a change that made this drift go did, for its report.
    var repairedDescription: String {
        switch self {
        case .undetermined(let family, let gateway, let reason):
            "\(family): replaced the rules of gateway \(gateway), which did not say its whole definition (\(reason))."
        case .legacyTags(let family, let count):
            "\(family): rewrote the short tags of an earlier natgate on \(count) gateway\(count == 1 ? "" : "s") as whole-gateway tags."
        default:
            description
        }
    }

    /// Whether the drift is about the rules of the owned chains, which a store's own form
    /// (`RuleStore.NativeChains`) holds outside the model tables (so the model sees them empty).
    var isAboutNativeChains: Bool {
        switch self {
        case .chainDiffers, .foreignRule, .undetermined, .legacyTags, .conflict, .missingChain: true
        default: false
        }
    }
}

extension Gateway {
    /// Two sorted lists of gateways as one sorted list (the interim nat chain of a change: the
    /// gateways before it and those it adds), so that its entries differ from either end's in
    /// short runs.
    static func merging(_ a: [Gateway], _ b: [Gateway]) -> [Gateway] {
        var result: [Gateway] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && !(b[j] < a[i])) {
                result.append(a[i])
                i += 1
            } else {
                result.append(b[j])
                j += 1
            }
        }
        return result
    }
}
