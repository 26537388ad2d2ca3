import NatgateModel

extension GatewayCompiler {
    /// The canonical iptables-save text of `set`'s gateways of `family` on a host with no other
    /// rules: the nat and filter tables as `iptables-legacy-save` (or `ip6tables-legacy-save`)
    /// prints them after natgate committed them to empty tables, without its `#` comment lines.
    ///
    /// This is the form of the golden files under `Fixtures/policies/`.
    ///
    /// - Throws: `PolicyError` (`.noGateways`) when the set has no gateway of `family`: natgate
    ///   writes nothing then, and an empty text would let a golden test pass without checking
    ///   anything.
    package func render(_ set: GatewaySet, family: Family) throws -> String {
        guard !set.gateways(of: family).isEmpty else {
            let other: Family = family == .ipv4 ? .ipv6 : .ipv4
            throw PolicyError(
                .noGateways, input: family.displayName,
                "There is no \(family.displayName) gateway to render: natgate writes no \(family.displayName) rules for these gateways (\(set.gateways.isEmpty ? "there are none" : "all are \(other.displayName)")). Render \(other.displayName) (\(other == .ipv4 ? "-4 or no flag" : "-6")), or add an \(family.displayName) gateway.")
        }
        var tables: [Table] = []
        for name in OwnedChains.tables.sorted() {
            var table = Table.empty(name, family: family)
            try install(set, into: &table)
            tables.append(table)
        }
        return Ruleset(family: family, tables: tables).saveText()
    }
}
