import NatgateModel

/// natgate's index of the subnets its set-based gateways use, one `hash:net,iface` set per
/// family and prefix length: `natgate-s24-v4` holds `10.1.0.0/24,subnet` for each gateway of
/// subnet `10.1.0.0/24` (docs/datapath.md, "Constant-time member changes").
///
/// No rule uses these sets: they let a change ask the kernel whether a subnet is taken in a few
/// set `test` requests instead of listing every member. Subnets of natgate's gateways never
/// overlap, so a new subnet `S` of prefix length `p` is free exactly when no index set of a length
/// `q ≤ p` holds `S` cut to `q`, and no index set of a length `q > p` holds a network inside `S`:
/// the names of the sets say which lengths are in use, and a change of a subnet shorter than one in
/// use takes the path that reads every gateway.
///
/// The sets are of natgate's one type, `hash:net,iface`, with the same interface on every member
/// (`interface`, which names no uplink: no rule matches these sets), so that creating, reading,
/// drift and render treat them as every other natgate set; the type also holds `/0`.
public enum SubnetIndex {
    /// Every index set's name starts with this: `natgate-s`.
    public static let namePrefix = GatewayShape.setPrefix + "s"

    /// The interface of every index member.
    public static let interface = InterfaceName(valid: "subnet")

    /// The index set of subnets of `prefixLength` in `family`: `natgate-s24-v4`, `natgate-s64-v6`.
    public static func setName(prefixLength: Int, family: Family) -> String {
        "\(namePrefix)\(prefixLength)-\(family == .ipv4 ? "v4" : "v6")"
    }

    /// The prefix length an index set's name says, nil for another name (or one of another family
    /// than `family`, when given).
    public static func prefixLength(ofSet name: String, family: Family? = nil) -> Int? {
        guard name.hasPrefix(namePrefix), let setFamily = GatewayShape.family(ofSet: name), family.map({ $0 == setFamily }) ?? true else { return nil }
        let digits = name.dropFirst(namePrefix.count).dropLast(3)
        guard let length = Int(digits), String(length) == digits, length >= 0, length <= (setFamily == .ipv4 ? 32 : 128) else { return nil }
        return length
    }

    /// Whether `name` is an index set's.
    public static func isIndexSet(_ name: String) -> Bool { prefixLength(ofSet: name) != nil }

    /// The index member of `subnet`: `10.1.0.0/24,subnet`.
    public static func member(_ subnet: IPNetwork) -> NetIfaceMember { NetIfaceMember(network: subnet, interface: interface) }

    /// The prefix length of `subnet`; nil for a mask that is not one.
    public static func prefixLength(of subnet: IPNetwork) -> Int? {
        switch subnet {
        case .v4(let network): network.prefixLength
        case .v6(let network): network.prefixLength
        }
    }

    /// `subnet` cut to its first `prefixLength` bits (`prefixLength` no longer than its own).
    public static func cut(_ subnet: IPNetwork, to prefixLength: Int) -> IPNetwork {
        switch subnet {
        case .v4(let network): .v4(IPv4Network(masking: network.address, prefixLength: prefixLength))
        case .v6(let network): .v6(IPv6Network(masking: network.address, prefixLength: prefixLength))
        }
    }

    /// The index sets of some gateways' subnets (each with a prefix length), by name.
    public static func sets<S: Sequence>(of subnets: S, family: Family) -> [String: IPSetContents] where S.Element == IPNetwork {
        var sets: [String: IPSetContents] = [:]
        for subnet in subnets {
            guard let length = prefixLength(of: subnet) else { continue }
            let name = setName(prefixLength: length, family: family)
            sets[name, default: IPSetContents(name: name, family: family)].members.insert(member(subnet))
        }
        return sets
    }
}
