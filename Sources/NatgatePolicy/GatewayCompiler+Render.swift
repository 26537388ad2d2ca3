import NatgateModel

extension GatewayCompiler {
    /// The canonical iptables-save text of `set`'s gateways of `family` on a host with no other
    /// rules: the nat and filter tables as `iptables-legacy-save` (or `ip6tables-legacy-save`)
    /// prints them after natgate committed them to empty tables, without its `#` comment lines.
    ///
    /// With `datapath` `.ipSets`, the sets come first (`IPSetContents.saveText`: `create NAME
    /// hash:net,iface family inet`, then the sorted `add NAME MEMBER` lines), then the tables.
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
        // The sets first, as `ipset save` prints them without the kernel's random parts: rules
        // name them, so they exist before the tables that use them.
        return IPSetContents.saveText(sets(for: set, family: family).values) + Ruleset(family: family, tables: tables).saveText()
    }
}
