import NatgateModel

/// One member of a `hash:net,iface` set: a network and an interface, `10.1.0.0/24,eth0` as
/// `ipset save` prints it (a host network without `/32` or `/128`).
public struct IPSetMember: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The member's network; a host is a `/32` or `/128`.
    public var network: IPNetwork
    /// The member's interface.
    public var interface: InterfaceName
    /// `physdev:IFACE`: the interface is a bridge port, matched as the packet's physical device.
    public var physdev: Bool
    /// `nomatch`: packets in the network are treated as not in the set.
    public var nomatch: Bool

    /// The member `network,interface`, with its flags.
    public init(network: IPNetwork, interface: InterfaceName, physdev: Bool = false, nomatch: Bool = false) {
        self.network = network
        self.interface = interface
        self.physdev = physdev
        self.nomatch = nomatch
    }

    /// Parses `NETWORK,IFACE` as natgate writes members (`10.1.0.0/24,eth0`; no `physdev:` or `nomatch`).
    public init(_ text: String) throws(IPSetError) {
        let parts = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw IPSetError(.invalid, "\(ModelError.quote(text)) is not a hash:net,iface member: write NETWORK,INTERFACE, such as 10.1.0.0/24,eth0.")
        }
        do {
            self.init(network: try IPNetwork(String(parts[0])), interface: try InterfaceName(String(parts[1])))
        } catch {
            throw IPSetError(.invalid, "\(ModelError.quote(text)) is not a hash:net,iface member: \(error)")
        }
    }

    /// The prefix length the kernel stores (`IPSET_ATTR_CIDR`); nil for a non-contiguous mask,
    /// which a set cannot hold.
    var prefixLength: Int? {
        switch network {
        case .v4(let n): n.prefixLength
        case .v6(let n): n.prefixLength
        }
    }

    /// The network's address, network byte order.
    var addressBytes: [UInt8] {
        switch network {
        case .v4(let n): withUnsafeBytes(of: n.address.rawValue.bigEndian) { Array($0) }
        case .v6(let n): n.address.bytes
        }
    }

    public var description: String {
        let host = prefixLength == (network.family == .ipv4 ? 32 : 128)  // ipset prints hosts bare
        let address: String = switch network {
        case .v4(let n): host ? n.address.description : n.description
        case .v6(let n): host ? n.address.description : n.description
        }
        return "\(address),\(physdev ? "physdev:" : "")\(interface)\(nomatch ? " nomatch" : "")"
    }

    public static func < (lhs: IPSetMember, rhs: IPSetMember) -> Bool {
        (lhs.network, lhs.interface.rawValue, lhs.physdev ? 1 : 0, lhs.nomatch ? 1 : 0) < (rhs.network, rhs.interface.rawValue, rhs.physdev ? 1 : 0, rhs.nomatch ? 1 : 0)
    }
}
