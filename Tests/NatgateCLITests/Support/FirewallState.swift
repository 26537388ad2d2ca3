import NatgateLab

/// Everything the namespace's two firewalls hold, for "nothing changed" checks: both legacy
/// families, both iptables-nft families, and the whole nf_tables ruleset with handles.
func firewallState(_ namespace: ThrowawayNamespace) throws -> String {
    try ["iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save", "nft -a list ruleset"].map { command in
        try namespace.shell(command).split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }.joined(separator: "\n----\n")
}
