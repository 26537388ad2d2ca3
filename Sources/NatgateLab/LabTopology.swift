import Foundation

/// The article's topology, built entirely in throwaway network namespaces with iproute2:
///
/// ```text
///   outside            host                          ns1
///   o-eth0 ─── veth ─── eth0          v-eth1 ─── veth ─── v-peer1
///   203.0.113.1/24      203.0.113.2/24  10.200.1.1/24       10.200.1.2/24, default via 10.200.1.1
///   2001:db8::1/64      2001:db8::2/64  fd00:200:1::1/64    fd00:200:1::2/64 (with IPv6)
/// ```
///
/// With more inner namespaces, `nsN` sits behind `v-ethN` / `v-peerN` on `10.200.N.0/24`.
/// The outside namespace has no route back to the inner subnets (unless
/// ``Options/outsideRoutesToInner`` asks for one), so a connection from `nsN` gets an answer only
/// when the host masquerades it: that is what proves the NAT rules work.
///
/// Every namespace gets a unique name (see ``LabNamespace``); ``remove()`` (also run on `deinit`,
/// and on any failure while building) deletes them all, and their interfaces with them.
/// Nothing here touches the namespace the process runs in.
public final class LabTopology: @unchecked Sendable {
    /// What to build beyond the article's one namespace.
    public struct Options: Sendable {
        /// How many inner namespaces (`ns1` … `nsN`, each behind its own subnet); 1 to 250.
        public var innerCount: Int
        /// Whether to add the IPv6 addresses and routes (a ULA /64 per inner namespace, 2001:db8::/64
        /// outside). DAD is switched off in every lab namespace so the addresses work at once.
        public var ipv6: Bool
        /// Whether the outside namespace gets routes to the inner subnets via the host's uplink, so
        /// that it can open connections inwards (for testing inbound policies). Off by default:
        /// without it, only masqueraded traffic can be answered.
        public var outsideRoutesToInner: Bool

        /// Options for `innerCount` namespaces behind the host.
        public init(innerCount: Int = 1, ipv6: Bool = false, outsideRoutesToInner: Bool = false) {
            self.innerCount = innerCount
            self.ipv6 = ipv6
            self.outsideRoutesToInner = outsideRoutesToInner
        }
    }

    /// One namespace behind the host, like the article's `ns1`.
    public struct Inner: Sendable {
        /// 1 for `ns1`.
        public let index: Int
        /// The namespace itself.
        public let namespace: LabNamespace
        /// The veth end in the host namespace: `v-eth1`.
        public let hostInterface: String
        /// The veth end in this namespace: `v-peer1`.
        public let interface: String
        /// `10.200.1.0/24`
        public var subnet: String { "10.200.\(index).0/24" }
        /// The host's address on the subnet, this namespace's default gateway: `10.200.1.1`.
        public var gateway: String { "10.200.\(index).1" }
        /// This namespace's address: `10.200.1.2`.
        public var address: String { "10.200.\(index).2" }
        /// `fd00:200:1::/64`
        public var subnet6: String { "fd00:200:\(index)::/64" }
        /// `fd00:200:1::1`
        public var gateway6: String { "fd00:200:\(index)::1" }
        /// `fd00:200:1::2`
        public var address6: String { "fd00:200:\(index)::2" }
    }

    /// The host's uplink interface, as in the article.
    public static let uplink = "eth0"
    /// The outside end of the uplink's veth pair.
    public static let outsideInterface = "o-eth0"
    /// The outside responder's address (TEST-NET-3, RFC 5737).
    public static let outsideAddress = "203.0.113.1"
    /// The host's uplink address: the source masqueraded traffic carries.
    public static let uplinkAddress = "203.0.113.2"
    /// The outside's IPv6 address (documentation prefix, RFC 3849).
    public static let outsideAddress6 = "2001:db8::1"
    /// The host's uplink IPv6 address.
    public static let uplinkAddress6 = "2001:db8::2"

    /// The namespace standing for the Internet: only the uplink's /24 (and /64) are reachable from it.
    public let outside: LabNamespace
    /// The namespace standing for the article's host: natgate runs here.
    public let host: LabNamespace
    /// `ns1` … `nsN`.
    public let inner: [Inner]
    /// The options the topology was built with.
    public let options: Options

    private let namespaces: [LabNamespace]
    private let responders = LockedBox([TCPResponder]())
    private let removed = LockedBox(false)

    /// Builds the topology. On any failure, removes whatever it had made and rethrows.
    ///
    /// Also removes lab namespaces that processes which no longer run left behind.
    public init(_ options: Options = Options()) throws {
        guard (1...250).contains(options.innerCount) else {
            throw LabError(operation: "build lab topology", "innerCount \(options.innerCount) is out of range: use 1 to 250 inner namespaces.")
        }
        LabNamespace.removeAbandoned()
        self.options = options
        var made: [LabNamespace] = []
        do {
            let outside = try LabNamespace.create(LabNamespace.uniqueName(role: "outside"))
            made.append(outside)
            let host = try LabNamespace.create(LabNamespace.uniqueName(role: "host"))
            made.append(host)
            var inner: [Inner] = []
            for index in 1...options.innerCount {
                let namespace = try LabNamespace.create(LabNamespace.uniqueName(role: "ns\(index)"))
                made.append(namespace)
                inner.append(Inner(index: index, namespace: namespace, hostInterface: "v-eth\(index)", interface: "v-peer\(index)"))
            }
            if options.ipv6 {
                for namespace in made {
                    try namespace.setSysctl("net.ipv6.conf.all.accept_dad", to: "0")
                    try namespace.setSysctl("net.ipv6.conf.default.accept_dad", to: "0")
                }
            }
            try Self.wire(outside: outside, host: host, inner: inner, options: options)
            self.outside = outside
            self.host = host
            self.inner = inner
            namespaces = made
        } catch {
            for namespace in made.reversed() { namespace.remove() }
            throw error
        }
    }

    private static func wire(outside: LabNamespace, host: LabNamespace, inner: [Inner], options: Options) throws {
        // The uplink: host eth0 <-> outside o-eth0.
        try host.ip("link", "add", uplink, "type", "veth", "peer", "name", outsideInterface, "netns", outside.name)
        try host.ip("addr", "add", "\(uplinkAddress)/24", "dev", uplink)
        try outside.ip("addr", "add", "\(outsideAddress)/24", "dev", outsideInterface)
        if options.ipv6 {
            try host.ip("addr", "add", "\(uplinkAddress6)/64", "dev", uplink, "nodad")
            try outside.ip("addr", "add", "\(outsideAddress6)/64", "dev", outsideInterface, "nodad")
        }
        try host.ip("link", "set", uplink, "up")
        try outside.ip("link", "set", outsideInterface, "up")

        for item in inner {
            try host.ip("link", "add", item.hostInterface, "type", "veth", "peer", "name", item.interface, "netns", item.namespace.name)
            try host.ip("addr", "add", "\(item.gateway)/24", "dev", item.hostInterface)
            try item.namespace.ip("addr", "add", "\(item.address)/24", "dev", item.interface)
            if options.ipv6 {
                try host.ip("addr", "add", "\(item.gateway6)/64", "dev", item.hostInterface, "nodad")
                try item.namespace.ip("addr", "add", "\(item.address6)/64", "dev", item.interface, "nodad")
            }
            try host.ip("link", "set", item.hostInterface, "up")
            try item.namespace.ip("link", "set", item.interface, "up")
            try item.namespace.ip("route", "add", "default", "via", item.gateway)
            if options.ipv6 {
                try item.namespace.ip("-6", "route", "add", "default", "via", item.gateway6)
            }
            if options.outsideRoutesToInner {
                try outside.ip("route", "add", item.subnet, "via", uplinkAddress)
                if options.ipv6 {
                    try outside.ip("-6", "route", "add", item.subnet6, "via", uplinkAddress6)
                }
            }
        }
    }

    /// Starts a ``TCPResponder`` in `namespace` on `address`; ``remove()`` stops it.
    public func startResponder(in namespace: LabNamespace, address: String, port: UInt16 = 0) throws -> TCPResponder {
        let responder = try TCPResponder(in: namespace, address: address, port: port)
        responders.withValue { $0.append(responder) }
        return responder
    }

    /// Every namespace of the topology, outside first.
    public var allNamespaces: [LabNamespace] { namespaces }

    /// Stops the responders it started and deletes every namespace it made, with their
    /// interfaces. Calling it again does nothing.
    public func remove() {
        let first = removed.withValue { value -> Bool in
            defer { value = true }
            return !value
        }
        guard first else { return }
        for responder in responders.value { responder.stop() }
        for namespace in namespaces.reversed() { namespace.remove() }
    }

    deinit { remove() }
}
