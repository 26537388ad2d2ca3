import NatgateModel

extension LegacyTables {
    /// The chain names of an existing legacy `table` of `family` and how many rules it holds, from
    /// one libiptc snapshot without decoding a rule: what choosing a backend needs to know. Call
    /// it on a thread in the namespace, only for a table `tablesInUse` lists (reading a table
    /// through libiptc creates it).
    package static func chainSummary(_ family: Family, table: TableName) throws(KernelError) -> (chains: [String], rules: Int) {
        switch family {
        case .ipv4: try summary(IPv4TableHandle(table))
        case .ipv6: try summary(IPv6TableHandle(table))
        }
    }

    private static func summary<C>(_ handle: borrowing TableHandle<C>) -> (chains: [String], rules: Int) {
        let chains = handle.chainNames
        var rules = 0
        for chain in chains { handle.forEachEntry(chain) { _ in rules += 1 } }
        return (chains, rules)
    }
}
