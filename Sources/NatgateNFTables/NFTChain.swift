/// An nf_tables chain. A base chain (`hook` not nil) is registered at a netfilter hook and sees
/// packets there; a regular chain only sees what a rule jumps or goes to it.
///
/// Equivalent to one `chain` of `nft list chains`.
public struct NFTChain: Hashable, Sendable, CustomStringConvertible {
    /// Where a base chain is registered and what it does when no rule decides.
    public struct Base: Hashable, Sendable {
        /// The chain type: `filter`, `nat` or `route`.
        public var type: NFTChainType
        /// The hook the chain is attached to.
        public var hook: NFTHook
        /// Lower runs first; `filter` is 0, `srcnat` 100, `dstnat` -100.
        public var priority: Int32
        /// The verdict when the packet reaches the end of the chain: accept or drop.
        public var policy: NFTVerdict
        /// The device of a netdev (ingress/egress) chain.
        public var device: String?

        /// A base chain of `type` at `hook` and `priority`, with `policy`, on `device` for netdev hooks.
        public init(type: NFTChainType, hook: NFTHook, priority: Int32, policy: NFTVerdict, device: String? = nil) {
            self.type = type
            self.hook = hook
            self.priority = priority
            self.policy = policy
            self.device = device
        }
    }

    /// The family of the chain's table.
    public var family: NFTFamily
    /// The chain's table.
    public var table: String
    /// The chain's name.
    public var name: String
    /// The handle the kernel gave the chain; 0 for one not yet added.
    public var handle: UInt64
    /// Set for base chains.
    public var base: Base?

    /// A chain; a base chain when `base` is given.
    public init(family: NFTFamily, table: String, name: String, handle: UInt64 = 0, base: Base? = nil) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.base = base
    }

    /// `chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }`, as nft writes it.
    public var description: String {
        var text = "chain \(family) \(table) \(name)"
        if let base {
            text += " { type \(base.type) hook \(base.hook)"
            if let device = base.device { text += " device \(device)" }
            text += " priority \(base.priority); policy \(base.policy); }"
        }
        return text
    }
}
