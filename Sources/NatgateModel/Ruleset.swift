/// A chain of a table: built-in with a policy, or user-defined without one.
public struct Chain: Hashable, Sendable {
    /// The chain's name.
    public var name: ChainName
    /// The policy of a built-in chain; nil for a user-defined chain (printed as `-`).
    public var policy: Policy?
    /// The chain's counters as printed on its declaration line.
    public var counters: Counters
    /// The chain's rules, in order.
    public var rules: [Rule]

    /// A chain; give a `policy` for a built-in chain, none for a user chain.
    public init(name: ChainName, policy: Policy? = nil, counters: Counters = .zero, rules: [Rule] = []) {
        self.name = name
        self.policy = policy
        self.counters = counters
        self.rules = rules
    }

    /// Whether the chain is built in (it has a policy).
    public var isBuiltin: Bool { policy != nil }
}

/// One table of one family: its chains in the order iptables-save prints them (built-in chains in
/// hook order, then user chains by name).
public struct Table: Hashable, Sendable {
    /// The table's name.
    public var name: TableName
    /// The table's family.
    public var family: Family
    /// The chains, built-in ones first in hook order.
    public var chains: [Chain]

    /// A table of `chains`.
    public init(name: TableName, family: Family, chains: [Chain] = []) {
        self.name = name
        self.family = family
        self.chains = chains
    }

    /// A table as the kernel creates it: every built-in chain with policy ACCEPT and no rules.
    public static func empty(_ name: TableName, family: Family) -> Table {
        Table(name: name, family: family, chains: name.builtinChains.map { Chain(name: $0, policy: .accept) })
    }

    /// The chain named `name`, nil when the table has none.
    public func chain(named name: ChainName) -> Chain? { chains.first { $0.name == name } }

    /// The chain named `name`, nil when the table has none. Setting a chain replaces it, or
    /// appends it when the table has none of that name; setting nil removes it.
    public subscript(chain name: ChainName) -> Chain? {
        get { chain(named: name) }
        set {
            if let index = chains.firstIndex(where: { $0.name == name }) {
                if let newValue { chains[index] = newValue } else { chains.remove(at: index) }
            } else if let newValue {
                chains.append(newValue)
            }
        }
    }

    /// The chains reordered as iptables-save prints them: built-ins in hook order, then user chains
    /// sorted by name (libiptc keeps them sorted).
    public var canonicallyOrdered: Table {
        var copy = self
        let builtins = name.builtinChains.compactMap { builtin in chains.first { $0.name == builtin } }
        let user = chains.filter { !name.isBuiltin($0.name) }.sorted { $0.name.rawValue.utf8.lexicographicallyPrecedes($1.name.rawValue.utf8) }
        copy.chains = builtins + user
        return copy
    }

    /// The same table with every counter set to nil or zero, for comparisons that ignore counters.
    public var withoutCounters: Table {
        var copy = withoutRuleCounters
        for index in copy.chains.indices { copy.chains[index].counters = .zero }
        return copy
    }

    /// The same table without its rules' counters; built-in chains keep theirs, as
    /// `iptables-save` without `-c` still prints them.
    public var withoutRuleCounters: Table {
        var copy = self
        // Chains without counters keep their rules (shared, not copied): text restored without
        // counters has none, and copying its rules cost a copy of the whole table.
        for index in copy.chains.indices where copy.chains[index].rules.contains(where: { $0.counters != nil }) {
            copy.chains[index].rules = copy.chains[index].rules.map(\.withoutCounters)
        }
        return copy
    }
}

/// Several tables of one family, as one iptables-save file holds them.
public struct Ruleset: Hashable, Sendable {
    /// The family of every table.
    public var family: Family
    /// The tables in the order the text gave them.
    public var tables: [Table]

    /// A ruleset of `tables`.
    public init(family: Family, tables: [Table] = []) {
        self.family = family
        self.tables = tables
    }

    /// The table named `name`, nil when the ruleset has none. Setting a table replaces it, or
    /// appends it when the ruleset has none of that name; setting nil removes it.
    public subscript(table name: TableName) -> Table? {
        get { tables.first { $0.name == name } }
        set {
            if let index = tables.firstIndex(where: { $0.name == name }) {
                if let newValue { tables[index] = newValue } else { tables.remove(at: index) }
            } else if let newValue {
                tables.append(newValue)
            }
        }
    }
}
