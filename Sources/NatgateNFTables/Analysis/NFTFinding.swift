/// One nftables base chain that drops, rejects or re-NATs a gateway's traffic, found by
/// `NFTRuleset.findings(for:)`.
public struct NFTFinding: Hashable, Sendable, CustomStringConvertible {
    /// What the chain does to the gateway's traffic.
    public enum Effect: String, Sendable, Hashable, Codable {
        /// Drops it (a rule's drop, or the chain's policy drop).
        case drop
        /// Drops it and answers with an ICMP error or TCP reset.
        case reject
        /// Translates its source (masquerade or snat) before natgate's legacy nat chain can:
        /// the gateway's masquerading is taken over.
        case nat
    }

    /// How sure the analysis is.
    public enum Certainty: String, Sendable, Hashable, Codable {
        /// Every rule on the way matches the gateway's packets for sure: it happens.
        case certain
        /// It happens to all of the gateway's packets of those directions, unless the subnet is
        /// behind an interface a rule names (listed in `undecided`), or it depends on the order
        /// the kernel registered nat chains of natgate's priority.
        case possible
        /// It may happen to some of the gateway's packets: it depends on what natgate cannot
        /// evaluate about them (destination, ports, marks, sets, xt matches; listed in `undecided`).
        case someTraffic = "some-traffic"
    }

    /// What decides: the chain's policy, or a rule (in the base chain or a chain it jumps to).
    public enum Decider: Hashable, Sendable, CustomStringConvertible {
        /// The chain's policy, reached by the packets no rule decided.
        case policy
        /// The rule with `handle` in `chain`.
        case rule(chain: String, handle: UInt64)

        public var description: String {
            switch self {
            case .policy: "policy"
            case .rule(let chain, let handle): "rule handle \(handle) in chain \(chain)"
            }
        }
    }

    /// The gateway whose traffic the chain affects.
    public var gateway: NFTGatewayTraffic
    /// The nft table's family.
    public var family: NFTFamily
    /// The nft table's name.
    public var table: String
    /// The base chain.
    public var chain: String
    /// The base chain's hook.
    public var hook: NFTHook
    /// The base chain's priority at its hook; lower runs first.
    public var priority: Int32
    /// The base chain's policy.
    public var policy: NFTVerdict
    /// What the chain does to the traffic.
    public var effect: Effect
    /// How sure the finding is.
    public var certainty: Certainty
    /// What in the chain decides: its policy, or rules.
    public var deciders: [Decider]
    /// The kinds of the gateway's packets it applies to.
    public var directions: [NFTGatewayTraffic.Direction]
    /// Conditions natgate could not evaluate on the way (`-m conntrack`, `iifname "docker0"`, a set lookup).
    public var undecided: [String]
    /// One line for the operator: what to do about it.
    public var suggestion: String

    /// Whether this blocks the gateway (or takes over its NAT) for sure.
    public var isCertain: Bool { certainty == .certain }

    /// Whether this concerns the gateway as a whole, certainly or possibly (not only some of its traffic).
    public var concernsWholeGateway: Bool { certainty != .someTraffic }

    /// One line: `table ip filter chain FORWARD (hook forward, priority 0, policy drop): drops new
    /// connections from the subnet by its policy`.
    public var summary: String {
        var verb: String
        switch effect {
        case .drop: verb = certainty == .certain ? "drops" : "may drop"
        case .reject: verb = certainty == .certain ? "rejects" : "may reject"
        case .nat: verb = certainty == .certain ? "re-NATs" : "may re-NAT"
        }
        if certainty == .someTraffic { verb += " some of" }
        var text = "table \(family) \(table) chain \(chain) (hook \(hook), priority \(priority), policy \(policy)) \(verb) "
        text += effect == .nat ? "the gateway's masquerading" : directions.map(\.description).joined(separator: ", ")
        text += " of \(gateway.subnet) (\(deciders.map(\.description).joined(separator: ", ")))"
        if !undecided.isEmpty { text += "; natgate cannot evaluate: \(undecided.joined(separator: ", "))" }
        return text
    }

    public var description: String { summary + "\n  " + suggestion }
}
