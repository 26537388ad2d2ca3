import NatgateModel

/// The address family of an nf_tables table, as `nft` names it: `ip`, `ip6`, `inet`, `arp`,
/// `bridge` or `netdev`.
///
/// The raw value is the kernel's `NFPROTO_*` number.
public enum NFTFamily: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// `inet`: IPv4 and IPv6.
    case inet = 1
    /// `ip`: IPv4.
    case ip = 2
    /// `arp`.
    case arp = 3
    /// `netdev`: ingress and egress of a device.
    case netdev = 5
    /// `bridge`.
    case bridge = 7
    /// `ip6`: IPv6.
    case ip6 = 10

    /// The name `nft list ruleset` prints, such as `ip6`.
    public var description: String {
        switch self {
        case .inet: "inet"
        case .ip: "ip"
        case .arp: "arp"
        case .netdev: "netdev"
        case .bridge: "bridge"
        case .ip6: "ip6"
        }
    }

    /// Whether IPv4 or IPv6 packets of `family`, routed by this host, pass this family's hooks.
    public func sees(_ family: Family) -> Bool {
        switch self {
        case .inet: true
        case .ip: family == .ipv4
        case .ip6: family == .ipv6
        case .arp, .netdev, .bridge: false
        }
    }
}

/// The netfilter hook a base chain is registered at.
public enum NFTHook: Hashable, Sendable, CustomStringConvertible {
    /// The hooks of the IP families, and netdev's ingress and egress.
    case prerouting, input, forward, output, postrouting, ingress, egress
    /// A hook number this code has no name for (in that family).
    case other(UInt32)

    /// The hook numbered `number` in `family` (`NF_INET_*`, `NF_ARP_*` or `NF_NETDEV_*`).
    public init(number: UInt32, family: NFTFamily) {
        switch (family, number) {
        case (.netdev, 0): self = .ingress
        case (.netdev, 1): self = .egress
        case (.netdev, _): self = .other(number)
        case (.arp, 0): self = .input
        case (.arp, 1): self = .output
        case (.arp, 2): self = .forward
        case (.arp, _): self = .other(number)
        case (_, 0): self = .prerouting
        case (_, 1): self = .input
        case (_, 2): self = .forward
        case (_, 3): self = .output
        case (_, 4): self = .postrouting
        case (_, 5): self = .ingress
        default: self = .other(number)
        }
    }

    /// The hook's number in the ip, ip6 and inet families (`NF_INET_*`); nil for netdev's own.
    public var number: UInt32? {
        switch self {
        case .prerouting: 0
        case .input: 1
        case .forward: 2
        case .output: 3
        case .postrouting: 4
        case .ingress: 5
        case .egress: nil
        case .other(let number): number
        }
    }

    /// The name `nft` prints, such as `postrouting`.
    public var description: String {
        switch self {
        case .prerouting: "prerouting"
        case .input: "input"
        case .forward: "forward"
        case .output: "output"
        case .postrouting: "postrouting"
        case .ingress: "ingress"
        case .egress: "egress"
        case .other(let number): "hook \(number)"
        }
    }
}

/// What a base chain does: `filter`, `nat` or `route`.
public enum NFTChainType: Hashable, Sendable, CustomStringConvertible {
    /// The chain types nft knows.
    case filter, nat, route
    /// A type of another name.
    case other(String)

    /// The type named `name`; `other` for a name nft does not know.
    public init(_ name: String) {
        switch name {
        case "filter": self = .filter
        case "nat": self = .nat
        case "route": self = .route
        default: self = .other(name)
        }
    }

    public var description: String {
        switch self {
        case .filter: "filter"
        case .nat: "nat"
        case .route: "route"
        case .other(let name): name
        }
    }
}

/// A verdict: what happens to a packet when a rule (or a chain's policy) decides.
public enum NFTVerdict: Hashable, Sendable, CustomStringConvertible {
    /// The verdicts that end the packet's walk (`NF_ACCEPT` … `NF_REPEAT`).
    case accept, drop, queue, stolen, repeat_
    /// Go on with the next rule (`NFT_CONTINUE`).
    case `continue`
    /// Stop evaluating this rule's expressions (`NFT_BREAK`).
    case `break`
    /// Back to the chain that jumped here; in a base chain, the policy applies.
    case `return`
    /// Continue in the named chain and come back.
    case jump(String)
    /// Continue in the named chain and do not come back.
    case goto(String)
    /// A verdict code this code has no name for.
    case other(Int32)

    /// The verdict with kernel code `code` (`NF_*` or `NFT_*`), jumping to `chain` for jump and goto.
    public init(code: Int32, chain: String?) {
        switch code {
        case 0: self = .drop
        case 1: self = .accept
        case 2: self = .stolen
        case 3: self = .queue
        case 4: self = .repeat_
        case -1: self = .continue
        case -2: self = .break
        case -3: self = .jump(chain ?? "")
        case -4: self = .goto(chain ?? "")
        case -5: self = .return
        default: self = .other(code)
        }
    }

    /// The word `nft` prints, such as `jump DOCKER-USER`.
    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .queue: "queue"
        case .stolen: "stolen"
        case .repeat_: "repeat"
        case .continue: "continue"
        case .break: "break"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        case .other(let code): "verdict \(code)"
        }
    }
}
