import NatgateModel

/// One member of a `hash:net,iface` set: a network and an interface, `10.1.0.0/24,eth0` as
/// `ipset save` prints it (a host network without `/32` or `/128`).
public struct NetIfaceMember: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The member's network (a prefix).
    public var network: IPNetwork
    /// The member's interface.
    public var interface: InterfaceName

    /// The member `network,interface`.
    public init(network: IPNetwork, interface: InterfaceName) {
        self.network = network
        self.interface = interface
    }

    /// `10.1.0.0/24,eth0`; a host network prints bare, as `ipset save` prints it.
    public var description: String {
        let address: String
        switch network {
        case .v4(let n): address = n.prefixLength == 32 ? n.address.description : n.description
        case .v6(let n): address = n.prefixLength == 128 ? n.address.description : n.description
        }
        return "\(address),\(interface)"
    }

    public static func < (lhs: NetIfaceMember, rhs: NetIfaceMember) -> Bool {
        lhs.network != rhs.network ? lhs.network < rhs.network : lhs.interface < rhs.interface
    }
}

/// A kernel ip set as natgate makes and reads it, without C: its name, type, family and members.
///
/// natgate's sets are `hash:net,iface` (`IPSetContents.natgateType`); a set of another type read
/// back from the kernel keeps its type name here, so that drift can say what it is.
public struct IPSetContents: Hashable, Sendable {
    /// The only type natgate creates.
    public static let natgateType = "hash:net,iface"

    /// The set's name.
    public var name: String
    /// The kernel's type name, such as `hash:net,iface`.
    public var typeName: String
    /// The family of its members.
    public var family: Family
    /// Its members.
    public var members: Set<NetIfaceMember>

    /// A set given directly: natgate's type unless `typeName` says otherwise.
    public init(name: String, typeName: String = IPSetContents.natgateType, family: Family, members: Set<NetIfaceMember> = []) {
        self.name = name
        self.typeName = typeName
        self.family = family
        self.members = members
    }

    /// Whether the set is of the type and family natgate would create it with.
    public var hasNatgateType: Bool { typeName == IPSetContents.natgateType && GatewayShape.family(ofSet: name).map { $0 == family } ?? true }

    /// The set as `ipset save` prints it, without what the kernel picks at random or by size
    /// (`hashsize`, `maxelem`, `bucketsize`, `initval`): `create NAME hash:net,iface family inet`,
    /// then its members as text sorted (what `ipset save | sort` gives), `add NAME 10.1.0.0/24,eth0`.
    public var saveLines: [String] {
        ["create \(name) \(typeName) family \(family == .ipv4 ? "inet" : "inet6")"] + members.map { "add \(name) \($0)" }.sorted()
    }

    /// Several sets as `saveLines`, sorted by name, each line ending in a newline.
    public static func saveText<S: Sequence>(_ sets: S) -> String where S.Element == IPSetContents {
        sets.sorted { $0.name < $1.name }.flatMap(\.saveLines).map { $0 + "\n" }.joined()
    }
}
