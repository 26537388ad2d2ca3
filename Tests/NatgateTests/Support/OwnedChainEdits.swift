import NatgateModel
import NatgatePolicy
import NatgateEngine

/// `rules` with their comment replaced by `comment`.
func retagged(_ rules: [Rule], _ comment: (Rule) -> String) throws -> [Rule] {
    try rules.map { rule in
        var rule = rule
        let text = comment(rule)
        rule.matches = try rule.matches.map { $0.as(CommentMatch.self) == nil ? $0 : Match(try CommentMatch(text)) }
        return rule
    }
}

/// The comment of a rule's comment match.
func commentOf(_ rule: Rule) -> String? {
    rule.matches.lazy.compactMap { $0.as(CommentMatch.self)?.comment }.first
}

/// The rules of natgate's chain in `table`, without counters.
func ownedRules(_ store: MemoryRuleStore, _ table: TableName) -> [Rule] {
    store.ruleset(.ipv4).tables.first { $0.name == table }?.chain(named: OwnedChains.owned(in: table)!)?.rules.map(\.withoutCounters) ?? []
}

/// Rewrites natgate's chain in `table` by hand.
func editOwned(_ store: MemoryRuleStore, _ table: TableName, _ edit: (inout [Rule]) throws -> Void) throws {
    try store.update(.ipv4, tables: [table]) { tables in
        var rules = tables[table]![chain: OwnedChains.owned(in: table)!]!.rules
        try edit(&rules)
        tables[table]![chain: OwnedChains.owned(in: table)!]!.rules = rules
    }
}

/// `10.200.1.0/24 eth0 --via v-eth1 --inbound all`: the gateway whose options a filter-only
/// reading loses.
func wideGateway() throws -> Gateway {
    try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("v-eth1"), inbound: .all)
}
