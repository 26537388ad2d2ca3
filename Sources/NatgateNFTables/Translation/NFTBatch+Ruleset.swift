import NatgateModel

extension NFTBatch {
    /// Adds everything of `ruleset` to the batch, for tables that do not exist yet in nf_tables:
    /// each table, its built-in chains (as iptables-nft creates them), its user chains, then every
    /// rule appended in order. Equivalent to `iptables-nft-restore` of the ruleset's text into an
    /// empty namespace.
    ///
    /// Throws the encoder's `.refused` error for a rule it cannot write as iptables-nft would.
    public mutating func addTables(of ruleset: Ruleset, encoder: NFTRuleEncoder = NFTRuleEncoder()) throws(NFTError) {
        let family: NFTFamily = ruleset.family == .ipv4 ? .ip : .ip6
        for table in ruleset.tables {
            addTable(family, table.name.rawValue)
            for chain in table.chains {
                if table.name.isBuiltin(chain.name) {
                    try addBuiltinChain(family, table: table.name, chain: chain.name, policy: chain.policy == .drop ? .drop : .accept)
                } else {
                    addChain(NFTChain(family: family, table: table.name.rawValue, name: chain.name.rawValue))
                }
            }
            for chain in table.chains {
                for rule in chain.rules {
                    addRule(try encoder.encode(rule, family: ruleset.family, table: table.name, chain: chain.name))
                }
            }
        }
    }
}
