import NatgateModel

/// The libiptc operations that turn one table into another: the smallest set natgate can find,
/// so that rules nobody changed (other programs' rules above all) are never touched and keep
/// their counters.
///
/// Rules are compared without their counters. Per chain, the common prefix and suffix are kept;
/// the rest is diffed with Myers' algorithm (`CollectionDifference`) when it is small enough, and
/// otherwise replaced as a whole.
struct TableChanges: Sendable {
    struct RuleEdit: Sendable {
        var chain: ChainName
        /// 0-based positions in the old chain, descending (the order to delete them in).
        var removals: [Int]
        /// 0-based positions in the new chain with their rules, ascending (the order to insert them in).
        var insertions: [(position: Int, rule: Rule)]
    }

    var createdChains: [ChainName] = []
    var deletedChains: [ChainName] = []
    var ruleEdits: [RuleEdit] = []
    /// Policies to set; counters when they are to be set too.
    var policies: [(chain: ChainName, policy: Policy, counters: Counters?)] = []
    /// Counters to set on rules that stay (restore with counters), at 0-based positions of the new chain.
    var counterUpdates: [(chain: ChainName, position: Int, counters: Counters)] = []

    /// Built-in chains whose policy counters are set again to what was read: libiptc's commit
    /// otherwise zeroes them (iptables-legacy loses them the same way).
    var keptPolicyCounters: [(chain: ChainName, policy: Policy, counters: Counters)] = []

    var isEmpty: Bool {
        createdChains.isEmpty && deletedChains.isEmpty && ruleEdits.isEmpty && policies.isEmpty && counterUpdates.isEmpty
    }

    var insertedRules: Int { ruleEdits.reduce(0) { $0 + $1.insertions.count } }
    var deletedRules: Int { ruleEdits.reduce(0) { $0 + $1.removals.count } }

    /// The largest middle part (old × new rules) diffed rule by rule; larger ones are replaced whole.
    static let diffLimit = 4_000_000

    /// The changes from `old` to `new`. With `setCounters`, every rule and built-in chain of
    /// `new` that has counters gets them (as `iptables-restore --counters` does).
    init(from old: Table, to new: Table, setCounters: Bool = false) {
        let oldChains = Dictionary(old.chains.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newNames = Set(new.chains.map(\.name))
        deletedChains = old.chains.map(\.name).filter { !newNames.contains($0) && !old.name.isBuiltin($0) }
        for chain in new.chains {
            guard let previous = oldChains[chain.name] else {
                createdChains.append(chain.name)
                if !chain.rules.isEmpty {
                    ruleEdits.append(RuleEdit(chain: chain.name, removals: [], insertions: chain.rules.enumerated().map { ($0.offset, $0.element) }))
                }
                continue
            }
            let edit = TableChanges.edit(chain.name, from: previous.rules, to: chain.rules)
            if let edit { ruleEdits.append(edit) }
            if let policy = chain.policy, new.name.isBuiltin(chain.name) {
                if setCounters {
                    policies.append((chain.name, policy, chain.counters))
                } else if policy != previous.policy {
                    policies.append((chain.name, policy, nil))
                }
            }
            if setCounters {
                // Rules that stay get the counters the new table gives them (inserted ones carry
                // theirs in their entry).
                let inserted = Set(edit?.insertions.map(\.position) ?? [])
                for (position, rule) in chain.rules.enumerated() where !inserted.contains(position) {
                    if let counters = rule.counters { counterUpdates.append((chain.name, position, counters)) }
                }
            }
        }
        createdChains.sort()
        deletedChains.sort()
    }

    /// Asks for the policy counters `old` holds to be kept, for built-in chains whose policy is
    /// not otherwise set. Call only when the table is going to be committed.
    mutating func keepPolicyCounters(of old: Table) {
        let set = Set(policies.map(\.chain))
        for chain in old.chains where old.name.isBuiltin(chain.name) && !set.contains(chain.name) && chain.counters != .zero {
            keptPolicyCounters.append((chain.name, chain.policy ?? .accept, chain.counters))
        }
    }

    /// Whether two rules are the same rule, counters aside.
    static func sameRule(_ a: Rule, _ b: Rule) -> Bool {
        a.ipProtocol == b.ipProtocol && a.source == b.source && a.destination == b.destination
            && a.inInterface == b.inInterface && a.outInterface == b.outInterface && a.fragment == b.fragment
            && a.matches.count == b.matches.count && sameTarget(a.target, b.target)
            && zip(a.matches, b.matches).allSatisfy(sameMatch)
    }

    /// `Match ==` without boxing both sides in `AnyHashable` (which allocates): opens the left
    /// value's type and casts the right one to it.
    private static func sameExtension<T: Hashable>(_ a: T, _ b: any Hashable) -> Bool {
        guard let b = b as? T else { return false }
        return a == b
    }

    private static func sameMatch(_ a: Match, _ b: Match) -> Bool {
        let left: any MatchExtension = a.base
        return sameExtension(left, b.base)
    }

    private static func sameTarget(_ a: RuleTarget?, _ b: RuleTarget?) -> Bool {
        switch (a, b) {
        case (.extension(let x), .extension(let y)):
            let left: any TargetExtension = x.base
            return sameExtension(left, y.base)
        default:
            return a == b
        }
    }

    static func edit(_ chain: ChainName, from old: [Rule], to new: [Rule]) -> RuleEdit? {
        var prefix = 0
        while prefix < old.count, prefix < new.count, sameRule(old[prefix], new[prefix]) { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
              sameRule(old[old.count - 1 - suffix], new[new.count - 1 - suffix]) { suffix += 1 }
        let oldMiddle = old[prefix..<(old.count - suffix)]
        let newMiddle = new[prefix..<(new.count - suffix)]
        if oldMiddle.isEmpty && newMiddle.isEmpty { return nil }

        var removals: [Int] = []
        var insertions: [(position: Int, rule: Rule)] = []
        if oldMiddle.isEmpty || newMiddle.isEmpty || oldMiddle.count * newMiddle.count > diffLimit {
            removals = Array(oldMiddle.indices)
            insertions = newMiddle.indices.map { ($0, new[$0]) }
        } else {
            // Offsets in a difference of slices count from the slices' own start.
            let difference = Array(newMiddle).difference(from: Array(oldMiddle), by: sameRule)
            for change in difference {
                switch change {
                case .remove(let offset, _, _): removals.append(prefix + offset)
                case .insert(let offset, let rule, _): insertions.append((prefix + offset, rule))
                }
            }
        }
        removals.sort(by: >)
        insertions.sort { $0.position < $1.position }
        return RuleEdit(chain: chain, removals: removals, insertions: insertions)
    }
}

