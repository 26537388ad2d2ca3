/// Everything of the nf_tables ruleset natgate reads: tables, chains, rules, and sets and maps
/// with their elements, as one snapshot of one generation. Objects and flowtables are not read.
///
/// Equivalent to `nft list ruleset`; read it with `NFTRuleset.read()`.
public struct NFTRuleset: Hashable, Sendable {
    /// The ruleset's generation id (`NFT_MSG_GETGEN`): it changes with every committed change.
    public var generation: UInt32
    /// The tables, in the kernel's order.
    public var tables: [NFTTable]
    /// All chains, in the order the kernel dumps them (table by table).
    public var chains: [NFTChain]
    /// All rules, in the order the kernel dumps them: chain by chain, in rule order.
    public var rules: [NFTRule]
    /// All sets and maps, anonymous ones included, with their elements.
    public var sets: [NFTSet]

    /// A ruleset of these parts, read at `generation`.
    public init(generation: UInt32 = 0, tables: [NFTTable] = [], chains: [NFTChain] = [], rules: [NFTRule] = [], sets: [NFTSet] = []) {
        self.generation = generation
        self.tables = tables
        self.chains = chains
        self.rules = rules
        self.sets = sets
    }

    /// The set `name` of table `table` in `family`, if there is one.
    public func set(_ family: NFTFamily, _ table: String, _ name: String) -> NFTSet? {
        sets.first { $0.family == family && $0.table == table && $0.name == name }
    }

    /// The chain `name` of table `table` in `family`, if there is one.
    public func chain(_ family: NFTFamily, _ table: String, _ name: String) -> NFTChain? {
        chains.first { $0.family == family && $0.table == table && $0.name == name }
    }

    /// The rules of a chain, in the order the kernel runs them.
    public func rules(of chain: NFTChain) -> [NFTRule] {
        rules.filter { $0.family == chain.family && $0.table == chain.table && $0.chain == chain.name }
    }

    /// The table a chain belongs to.
    public func table(of chain: NFTChain) -> NFTTable? {
        tables.first { $0.family == chain.family && $0.name == chain.table }
    }

    /// The base chains, in the order the kernel dumps them.
    public var baseChains: [NFTChain] { chains.filter { $0.base != nil } }
}
