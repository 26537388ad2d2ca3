/// The address family a table, rule or policy belongs to.
///
/// IPv4 rules live in `iptables` tables, IPv6 rules in `ip6tables` tables; the kernel keeps them apart
/// and so does natgate: every value that differs between the families carries one.
public enum Family: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// IPv4: `iptables` tables.
    case ipv4
    /// IPv6: `ip6tables` tables.
    case ipv6

    /// The command whose save output natgate's text form matches: `iptables-legacy-save` or `ip6tables-legacy-save`.
    public var saveCommand: String { self == .ipv4 ? "iptables-legacy-save" : "ip6tables-legacy-save" }

    public var description: String { rawValue }
}
