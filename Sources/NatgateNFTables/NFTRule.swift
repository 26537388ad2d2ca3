/// An nf_tables rule: a list of expressions the kernel runs in order, in one chain.
///
/// Equivalent to one rule of `nft -a list chain` (`handle` is what `-a` prints).
public struct NFTRule: Hashable, Sendable, CustomStringConvertible {
    /// The family of the rule's table.
    public var family: NFTFamily
    /// The rule's table.
    public var table: String
    /// The rule's chain.
    public var chain: String
    /// The handle the kernel gave the rule; 0 for one not yet added.
    public var handle: UInt64
    /// The rule's expressions, in order.
    public var expressions: [NFTExpression]
    /// `NFTA_RULE_COMPAT`: the layer 4 protocol and flags of an xt compat rule (iptables-nft sets
    /// them when a rule with `-p` carries `match`/`target` expressions); nil when absent.
    public var compat: Compat?
    /// `NFTA_RULE_USERDATA`: opaque bytes a tool stores with the rule (nft keeps comments there).
    public var userData: [UInt8]?

    /// The rule's `NFTA_RULE_COMPAT` attribute.
    public struct Compat: Hashable, Sendable {
        /// The IP protocol the rule's xt match needs (`-p`), as a number.
        public var ipProtocol: UInt32
        /// `NFT_RULE_COMPAT_F_INV` (2) when the protocol is negated.
        public var flags: UInt32

        /// The attribute with `ipProtocol` and `flags`.
        public init(ipProtocol: UInt32, flags: UInt32) {
            self.ipProtocol = ipProtocol
            self.flags = flags
        }
    }

    /// A rule of `expressions` in `chain`, with its compat attribute and user data when given.
    public init(
        family: NFTFamily, table: String, chain: String, handle: UInt64, expressions: [NFTExpression],
        compat: Compat? = nil, userData: [UInt8]? = nil
    ) {
        self.family = family
        self.table = table
        self.chain = chain
        self.handle = handle
        self.expressions = expressions
        self.compat = compat
        self.userData = userData
    }

    /// The verdict the rule gives when all its matches hold: the last verdict of an `immediate`
    /// into register 0, `drop` for `reject` (it drops after replying), `accept` for NAT statements
    /// and the xt targets ACCEPT, DROP and REJECT; nil when the rule does not decide (the packet
    /// goes on to the next rule).
    public var verdict: NFTVerdict? {
        var result: NFTVerdict?
        for expression in expressions {
            switch expression {
            case .immediate(register: 0, .verdict(let verdict)): result = verdict
            case .reject: result = .drop
            case .nat, .masquerade, .redirect: result = .accept
            case .target(let name, _, _):
                switch name {
                case "ACCEPT", "MASQUERADE", "SNAT", "DNAT", "REDIRECT", "NETMAP": result = .accept
                case "DROP", "REJECT": result = .drop
                case "RETURN": result = .return
                default: break
                }
            default: break
            }
        }
        return result
    }

    /// `ip filter FORWARD handle 4: [ meta load oifname => reg 1 ] …`, close to `nft --debug=netlink`.
    public var description: String {
        "\(family) \(table) \(chain) handle \(handle): " + expressions.map { "[ \($0) ]" }.joined(separator: " ")
    }
}
