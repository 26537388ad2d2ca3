import NatgateModel

/// The chains natgate owns, and how its rules are recognised.
///
/// natgate keeps all its rules in two user chains per family, one in each table it writes, and
/// jumps to each from the top of one built-in chain:
///
/// | table  | built-in chain | owned chain           | holds, per gateway                       |
/// |--------|----------------|-----------------------|------------------------------------------|
/// | filter | FORWARD        | `NATGATE-FORWARD`     | accept out to the uplink, accept back in |
/// | nat    | POSTROUTING    | `NATGATE-POSTROUTING` | exclusions (RETURN), then MASQUERADE/SNAT |
///
/// Two shared chains rather than a chain per gateway: a host with 10,000 gateways then has two
/// chains and two jumps instead of 20,000 chains, every packet walks one chain per hook, and every
/// rule still names its gateway in its comment (`natgate 10.200.1.0/24 eth0`), which is how natgate
/// reads its gateways back from the kernel. The owned chains are the whole state: there is no
/// other rule database to drift from them.
public enum OwnedChains {
    /// `NATGATE-FORWARD`, in filter.
    public static let forward = ChainName(valid: "NATGATE-FORWARD")
    /// `NATGATE-POSTROUTING`, in nat.
    public static let postrouting = ChainName(valid: "NATGATE-POSTROUTING")

    /// The tables natgate writes, in the order it commits them when adding gateways: nat first, so
    /// that no forwarded packet leaves unmasqueraded; removing goes the other way.
    public static let tables: [TableName] = [.nat, .filter]

    /// The chain natgate owns in `table`, or nil for a table it does not write.
    public static func owned(in table: TableName) -> ChainName? {
        switch table {
        case .filter: forward
        case .nat: postrouting
        default: nil
        }
    }

    /// The built-in chain that jumps to the owned chain of `table`.
    public static func hook(in table: TableName) -> ChainName? {
        switch table {
        case .filter: .forward
        case .nat: .postrouting
        default: nil
        }
    }

    /// The comment prefix every natgate rule carries.
    public static let tagPrefix = "natgate "

    /// The comment on each of a gateway's rules: `natgate 10.200.1.0/24 eth0`.
    public static func tag(_ key: Gateway.Key) -> String { tagPrefix + key.description }

    /// The gateway a comment names, or nil when it is not a natgate tag.
    public static func key(fromTag comment: String) -> Gateway.Key? {
        guard comment.hasPrefix(tagPrefix) else { return nil }
        let words = comment.dropFirst(tagPrefix.count).split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 2,
            let subnet = try? IPNetwork(String(words[0])),
            let uplink = try? InterfaceName(String(words[1]))
        else { return nil }
        return Gateway.Key(subnet: subnet, uplink: uplink)
    }
}
