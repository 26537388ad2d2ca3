import NatgateModel

/// What a gateway's rules in one table look like apart from its subnet and interfaces: gateways
/// of equal shape share one block of rules, which looks them up in kernel ip sets
/// (`hash:net,iface`), so that a packet passes a handful of rules whatever the number of
/// gateways (docs/datapath.md).
///
/// - The filter shape is the family, whether the gateway has a namespace-side interface (`--via`),
///   and `--inbound`.
/// - The nat shape is the family, the exclusions, MASQUERADE or `--snat-to ADDR`, `--ports` and
///   `--random-fully`.
///
/// Each shape rule's comment is the shape's canonical text (`natgate shape filter ipv4 --via`),
/// from which natgate reads the shape back exactly (`init?(comment:)`); the sets are named after a
/// digest of that text (`setName`), and a rule naming a set carries the text the name was made
/// from, so that two shapes whose digests collide are told apart (the second is written per rule).
public struct GatewayShape: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The table the shape's rules are in: `.filter` or `.nat`.
    public let table: TableName
    /// The family of the shape's gateways.
    public let family: Family
    /// Filter: the gateways have a namespace-side interface, matched through a second set.
    public let hasVia: Bool
    /// Filter: which inbound packets are forwarded.
    public let inbound: Gateway.Inbound
    /// Nat: destinations reached without source NAT.
    public let exclude: [IPNetwork]
    /// Nat: the SNAT address, nil to masquerade.
    public let snatTo: IPAddress?
    /// Nat: the source ports NAT may choose from.
    public let ports: PortRange?
    /// Nat: `--random-fully`.
    public let randomFully: Bool
    /// The canonical text, which is also the comment of the shape's rules.
    public let description: String

    /// The start of every shape comment.
    package static let commentPrefix = "natgate shape "

    /// The filter shape of `gateway`.
    public init(filterOf gateway: Gateway) {
        self.init(table: .filter, family: gateway.family, hasVia: gateway.via != nil, inbound: gateway.inbound,
            exclude: [], snatTo: nil, ports: nil, randomFully: false)
    }

    /// The nat shape of `gateway`.
    public init(natOf gateway: Gateway) {
        self.init(table: .nat, family: gateway.family, hasVia: false, inbound: .established,
            exclude: gateway.exclude, snatTo: gateway.snatTo, ports: gateway.ports, randomFully: gateway.randomFully)
    }

    private init(
        table: TableName, family: Family, hasVia: Bool, inbound: Gateway.Inbound, exclude: [IPNetwork], snatTo: IPAddress?,
        ports: PortRange?, randomFully: Bool
    ) {
        self.table = table
        self.family = family
        self.hasVia = hasVia
        self.inbound = inbound
        self.exclude = exclude
        self.snatTo = snatTo
        self.ports = ports
        self.randomFully = randomFully
        var words = [table == .filter ? "filter" : "nat", family.rawValue]
        if table == .filter {
            if hasVia { words.append("--via") }
            if inbound != .established { words += ["--inbound", inbound.rawValue] }
        } else {
            for network in exclude { words += ["--exclude", network.description] }
            if let snatTo { words += ["--snat-to", snatTo.description] }
            if let ports { words += ["--ports", ports.description] }
            if randomFully { words.append("--random-fully") }
        }
        description = GatewayShape.commentPrefix + words.joined(separator: " ")
    }

    /// The shape a rule comment names; nil unless the comment is exactly a shape's canonical text
    /// (never a guess: options reordered or edited by hand are not read).
    public init?(comment: String) {
        guard comment.hasPrefix(GatewayShape.commentPrefix) else { return nil }
        var words = comment.dropFirst(GatewayShape.commentPrefix.count).split(separator: " ", omittingEmptySubsequences: false)
            .map(String.init)[...]
        guard let kind = words.popFirst(), let familyWord = words.popFirst(), let family = Family(rawValue: familyWord) else { return nil }
        var hasVia = false
        var inbound = Gateway.Inbound.established
        var exclude: [IPNetwork] = []
        var snatTo: IPAddress?
        var ports: PortRange?
        var randomFully = false
        while let option = words.popFirst() {
            switch option {
            case "--via": hasVia = true
            case "--random-fully": randomFully = true
            case "--inbound":
                guard let value = words.popFirst().flatMap(Gateway.Inbound.init(rawValue:)) else { return nil }
                inbound = value
            case "--exclude":
                guard let value = words.popFirst(), let network = try? IPNetwork(value), network.family == family else { return nil }
                exclude.append(network)
            case "--snat-to":
                guard let value = words.popFirst(), let address = try? IPAddress(value), address.family == family else { return nil }
                snatTo = address
            case "--ports":
                guard let value = words.popFirst(), let range = try? PortRange(value, separator: "-"), range.lower > 0 else { return nil }
                ports = range
            default: return nil
            }
        }
        let table: TableName
        switch kind {
        case "filter": table = .filter
        case "nat": table = .nat
        default: return nil
        }
        self.init(table: table, family: family, hasVia: hasVia, inbound: inbound, exclude: exclude, snatTo: snatTo, ports: ports, randomFully: randomFully)
        guard description == comment else { return nil }
    }

    /// 12 hex digits of a 64-bit digest of the canonical text (FNV-1a, then MurmurHash3's
    /// finaliser, so that texts differing in one character differ in every digit): what names
    /// the shape's sets. Not cryptographic: a collision is found (`GatewayCompiler.layout`), never
    /// trusted.
    public var digest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in description.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        let hex = String(hash >> 16, radix: 16)
        return String(repeating: "0", count: 12 - hex.count) + hex
    }

    private var familySuffix: String { family == .ipv4 ? "v4" : "v6" }

    /// The set of `SUBNET,UPLINK` members: `natgate-f<digest>-v4` (filter), `natgate-n<digest>-v4` (nat).
    public var setName: String { "\(GatewayShape.setPrefix)\(table == .filter ? "f" : "n")\(digest)-\(familySuffix)" }

    /// The set of `SUBNET,VIA` members of a filter shape with `--via`: `natgate-f<digest>-via-v4`.
    public var viaSetName: String? { hasVia && table == .filter ? "\(GatewayShape.setPrefix)f\(digest)-via-\(familySuffix)" : nil }

    /// The names of the shape's sets.
    public var setNames: [String] { [setName] + (viaSetName.map { [$0] } ?? []) }

    /// Every set natgate owns starts with this: natgate creates, empties and destroys them.
    public static let setPrefix = "natgate-"

    /// The family a natgate set name says (`-v4`, `-v6`); nil for another name.
    public static func family(ofSet name: String) -> Family? {
        if name.hasSuffix("-v4") { return .ipv4 }
        if name.hasSuffix("-v6") { return .ipv6 }
        return nil
    }

    /// Shapes order by canonical text (so filter shapes before nat shapes, IPv4 before IPv6).
    public static func < (lhs: GatewayShape, rhs: GatewayShape) -> Bool { lhs.description < rhs.description }

    /// Whether a comment is a shape's, readable or not.
    package static func isShapeComment(_ comment: String) -> Bool { comment.hasPrefix(commentPrefix) }
}

extension Gateway {
    /// Whether the gateway's subnet and interfaces can be members of a `hash:net,iface` set: a
    /// prefix subnet (a set holds no other mask) and interface names without a `+` wildcard.
    /// Other gateways keep rules of their own.
    public var fitsIPSets: Bool {
        let prefix: Int? = switch subnet {
        case .v4(let network): network.prefixLength
        case .v6(let network): network.prefixLength
        }
        guard prefix != nil, !uplink.isWildcard, !(via?.isWildcard ?? false) else { return false }
        return GatewayShape(natOf: self).description.utf8.count <= OwnedChains.tagLimit
    }
}
