import NatgateModel

extension GatewayCompiler {
    /// The canonical iptables-save text of `set`'s gateways of `family` on a host with no other
    /// rules: the nat and filter tables as `iptables-legacy-save` (or `ip6tables-legacy-save`)
    /// prints them after natgate committed them to empty tables, without its `#` comment lines.
    /// Empty when the set has no gateway of the family.
    ///
    /// This is the form of the golden files under `Fixtures/policies/`.
    public func render(_ set: GatewaySet, family: Family) throws -> String {
        guard !set.gateways(of: family).isEmpty else { return "" }
        var tables: [Table] = []
        for name in OwnedChains.tables.sorted() {
            var table = Table.empty(name, family: family)
            try install(set, into: &table)
            tables.append(table)
        }
        return Ruleset(family: family, tables: tables).saveText()
    }
}
