import NatgateModel

/// One gateway: a namespace subnet given access to the outside through an uplink interface, with
/// forwarding accepted both ways and the subnet's traffic source-NATed on the way out.
///
/// A gateway is identified by its subnet and uplink: that pair is what `natgate disable` takes.
/// The comment on each of its rules carries the whole gateway (`OwnedChains.tag`:
/// `natgate enable 10.200.1.0/24 eth0 --via v-eth1`). Every value is validated when it is made,
/// so a gateway that exists can always be compiled, and its tag fits in a comment.
///
/// ```swift
/// let gateway = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))
/// ```
public struct Gateway: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Which packets coming back from the uplink are forwarded into the subnet.
    public enum Inbound: String, Hashable, Sendable, Codable, CaseIterable {
        /// Replies and related traffic (conntrack RELATED,ESTABLISHED) and connections another
        /// tool port-forwards into the subnet (conntrack DNAT); everything else from the uplink to
        /// the subnet is dropped, so the outside cannot open connections into the namespace
        /// whatever the host's FORWARD policy. The default.
        case established
        /// Everything addressed to the subnet, as the classic namespace script does: for routed
        /// setups where the outside may open connections into the namespace.
        case all
    }

    /// The namespace-side subnet, such as `10.200.1.0/24` or `fd00:200:1::/64`.
    public let subnet: IPNetwork
    /// The interface traffic leaves by, such as `eth0` (a `+` wildcard such as `wlan+` is allowed).
    public let uplink: InterfaceName
    /// The namespace-side interface (the host end of the veth pair), matched too when given.
    public let via: InterfaceName?
    /// Which inbound packets are forwarded to the subnet.
    public let inbound: Inbound
    /// Destinations the subnet reaches without source NAT (other local subnets), sorted, no duplicates.
    public let exclude: [IPNetwork]
    /// A fixed source address to SNAT to instead of MASQUERADE; of the subnet's family.
    public let snatTo: IPAddress?
    /// The source ports NAT may choose from. Applied to TCP and UDP (the protocols with ports); other
    /// protocols are still NATed, without a port range.
    public let ports: PortRange?
    /// Whether NAT picks source ports fully at random (`--random-fully`).
    public let randomFully: Bool

    /// A gateway, validated.
    ///
    /// - Throws: `PolicyError` (`.invalidGateway`) when a field does not fit the subnet: an
    ///   address of the other family, a catch-all subnet, an IPv4-mapped IPv6 subnet, port 0, the
    ///   uplink also given as `via`; or when its tag (`OwnedChains.tag`) is longer than the 255
    ///   bytes a rule's comment holds, which takes IPv6 networks with masks that are not prefix
    ///   lengths.
    public init(
        subnet: IPNetwork,
        uplink: InterfaceName,
        via: InterfaceName? = nil,
        inbound: Inbound = .established,
        exclude: [IPNetwork] = [],
        snatTo: IPAddress? = nil,
        ports: PortRange? = nil,
        randomFully: Bool = false
    ) throws {
        if subnet.isAny {
            throw PolicyError(
                .invalidGateway, input: subnet.description,
                "Subnet \(subnet) is every address: a gateway for it would forward and NAT all traffic. Give the namespace subnet, such as 10.200.1.0/24.")
        }
        if subnet.isIPv4Mapped {
            throw PolicyError(
                .invalidGateway, input: subnet.description,
                "Subnet \(subnet) is IPv4-mapped IPv6 (inside ::ffff:0:0/96): no packet carries such addresses, so its rules would match nothing. Give the IPv4 subnet itself, such as 10.200.1.0/24.")
        }
        if let via, via == uplink {
            throw PolicyError(
                .invalidGateway, input: via.description,
                "Gateway \(subnet): the namespace-side interface (via) and the uplink are both \(uplink). Give the host end of the namespace's veth pair as via, and the outside interface as the uplink.")
        }
        for network in exclude where network.family != subnet.family {
            throw PolicyError(
                .invalidGateway, input: network.description,
                "Gateway \(subnet): excluded destination \(network) is \(network.family.displayName) but the subnet is \(subnet.family.displayName). Exclude \(subnet.family.displayName) networks only.")
        }
        if let snatTo, snatTo.family != subnet.family {
            throw PolicyError(
                .invalidGateway, input: snatTo.description,
                "Gateway \(subnet): SNAT address \(snatTo) is \(snatTo.family.displayName) but subnet \(subnet) is \(subnet.family.displayName). Give an \(subnet.family.displayName) address of the uplink, or leave out --snat-to to masquerade.")
        }
        if let ports, ports.lower == 0 {
            throw PolicyError(
                .invalidGateway, input: ports.description,
                "Gateway \(subnet): port range \(ports) includes port 0, which NAT cannot use. Start the range at 1 or above, such as 1024-65535.")
        }
        self.subnet = subnet
        self.uplink = uplink
        self.via = via
        self.inbound = inbound
        self.exclude = exclude.count < 2 ? exclude : Gateway.sortedWithoutDuplicates(exclude)
        self.snatTo = snatTo
        self.ports = ports
        self.randomFully = randomFully
        // The compiler builds each rule's comment from the tag and traps if it is refused: no input
        // may make one too long. Without exclusions the longest tag is under 255 bytes (every
        // field at its longest), so skip the string.
        if !self.exclude.isEmpty {
            let length = OwnedChains.tag(self).utf8.count
            if length > OwnedChains.tagLimit {
                throw PolicyError(
                    .invalidGateway, input: self.description,
                    "Gateway \(subnet) \(uplink): its tag, the comment each of its rules carries (`natgate enable` and the gateway's words, the exclusions as a count and digest), takes \(length) bytes, more than the \(OwnedChains.tagLimit) a comment holds; natgate reads gateways back from that comment and will not cut it short. Give the subnet, SNAT address and exclusions with prefix lengths (10.0.0.0/8 rather than a mask), or a shorter interface name.")
            }
        }
    }

    /// `networks` sorted, each once.
    private static func sortedWithoutDuplicates(_ networks: [IPNetwork]) -> [IPNetwork] {
        var result: [IPNetwork] = []
        result.reserveCapacity(networks.count)
        for network in networks.sorted() where result.last != network { result.append(network) }
        return result
    }

    /// The gateway's address family: that of its subnet.
    public var family: Family { subnet.family }

    /// The subnet and uplink, which identify the gateway.
    public var key: Key { Key(subnet: subnet, uplink: uplink) }

    /// What identifies a gateway: its subnet and its uplink.
    public struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The gateway's subnet.
        public var subnet: IPNetwork
        /// The gateway's uplink.
        public var uplink: InterfaceName

        /// The key of the gateway of `subnet` through `uplink`.
        public init(subnet: IPNetwork, uplink: InterfaceName) {
            self.subnet = subnet
            self.uplink = uplink
        }

        /// `10.200.1.0/24 eth0`.
        public var description: String { "\(subnet) \(uplink)" }

        public static func < (lhs: Key, rhs: Key) -> Bool {
            lhs.subnet != rhs.subnet ? lhs.subnet < rhs.subnet : lhs.uplink < rhs.uplink
        }
    }

    /// The options that differ from the defaults, as `natgate enable` takes them.
    public var optionArguments: [String] {
        var words: [String] = []
        if let via { words += ["--via", via.rawValue] }
        if inbound != .established { words += ["--inbound", inbound.rawValue] }
        for network in exclude { words += ["--exclude", network.description] }
        if let snatTo { words += ["--snat-to", snatTo.description] }
        if let ports { words += ["--ports", ports.description] }
        if randomFully { words.append("--random-fully") }
        return words
    }

    /// `10.200.1.0/24 eth0 --via v-eth1`: the gateway as `natgate enable` arguments.
    public var description: String { ([key.description] + optionArguments).joined(separator: " ") }

    /// Orders by subnet, then uplink (IPv4 before IPv6), then options, so that compiled rules come
    /// out in the same order whatever order the gateways were given in.
    public static func < (lhs: Gateway, rhs: Gateway) -> Bool {
        if lhs.subnet != rhs.subnet { return lhs.subnet < rhs.subnet }
        if lhs.uplink != rhs.uplink { return lhs.uplink < rhs.uplink }
        return lhs.description < rhs.description
    }
}

extension Family {
    /// "IPv4" or "IPv6", for messages.
    var displayName: String { self == .ipv4 ? "IPv4" : "IPv6" }
}
