import NatgateModel

/// The traffic of one NAT gateway, as the nftables analysis looks for what blocks it: packets
/// from `subnet` forwarded out of `uplink` (and masqueraded there), and their replies forwarded
/// back in.
public struct NFTGatewayTraffic: Hashable, Sendable, CustomStringConvertible {
    /// The gateway's subnet.
    public var subnet: IPNetwork
    /// The gateway's uplink.
    public var uplink: InterfaceName
    /// The interface the subnet is behind, when the caller knows it. When nil, the analysis knows
    /// only that it is not the uplink, and a rule that matches on another interface's name
    /// (`iifname "docker0"`) may or may not match: findings that depend on it are `possible`.
    public var downstream: InterfaceName?

    /// The traffic of the gateway of `subnet` through `uplink`, the subnet behind `downstream` when known.
    public init(subnet: IPNetwork, uplink: InterfaceName, downstream: InterfaceName? = nil) {
        self.subnet = subnet
        self.uplink = uplink
        self.downstream = downstream
    }

    /// The subnet's family.
    public var family: Family { subnet.family }

    /// `10.200.1.0/24 via eth0`.
    public var description: String {
        "\(subnet) via \(uplink)" + (downstream.map { " (behind \($0))" } ?? "")
    }

    /// The kinds of packet of a gateway a chain can treat differently.
    public enum Direction: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
        /// The first packet of a connection from the subnet (conntrack state new).
        case outboundNew = "outbound-new"
        /// Later packets of such a connection (established).
        case outboundEstablished = "outbound-established"
        /// Replies from the outside, forwarded back to the subnet (established).
        case replies

        public var description: String {
            switch self {
            case .outboundNew: "new connections from the subnet"
            case .outboundEstablished: "established traffic from the subnet"
            case .replies: "replies to the subnet"
            }
        }
    }
}
