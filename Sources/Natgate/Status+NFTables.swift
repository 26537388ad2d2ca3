import NatgateModel
import NatgateNFTables
import NatgatePolicy

/// What the namespace's nf_tables ruleset does to the gateways: every nft base chain that drops,
/// rejects or re-NATs a gateway's traffic ahead of or regardless of natgate's legacy rules
/// (`NFTRuleset.findings(for:)`). Both subsystems' hooks see every packet and a drop in either wins,
/// so a gateway blocked here gets no connectivity however right natgate's own rules are.
public struct NFTablesStatus: Sendable, Codable, Hashable {
    /// One blocker, in plain values for text and JSON.
    public struct Finding: Sendable, Codable, Hashable {
        public var subnet: String
        public var uplink: String
        public var family: String
        public var table: String
        public var chain: String
        public var hook: String
        public var priority: Int32
        public var policy: String
        /// `drop`, `reject` or `nat` (the gateway's masquerading taken over).
        public var effect: String
        /// `certain`; `possible` when it depends on which interface the subnet is behind or on
        /// registration order; `some-traffic` when it depends on what natgate cannot evaluate about
        /// the packets (see `undecided`).
        public var certainty: String
        /// `policy`, or `rule handle N in chain NAME`.
        public var deciders: [String]
        public var directions: [String]
        public var undecided: [String]
        public var summary: String
        public var suggestion: String

        init(_ finding: NFTFinding) {
            subnet = finding.gateway.subnet.description
            uplink = finding.gateway.uplink.rawValue
            family = finding.family.description
            table = finding.table
            chain = finding.chain
            hook = finding.hook.description
            priority = finding.priority
            policy = finding.policy.description
            effect = finding.effect.rawValue
            certainty = finding.certainty.rawValue
            deciders = finding.deciders.map(\.description)
            directions = finding.directions.map(\.rawValue)
            undecided = finding.undecided
            summary = finding.summary
            suggestion = finding.suggestion
        }
    }

    /// The ruleset's generation id, when it could be read.
    public var generation: UInt32?
    /// The nft tables of the namespace, `FAMILY NAME` each (iptables-nft's among them).
    public var tables: [String]
    public var findings: [Finding]
    /// Why the ruleset could not be read, if it could not.
    public var unreadable: String?

    /// Whether some nft chain drops, rejects or re-NATs a gateway's traffic as a whole, certainly or
    /// possibly; findings about only some of its traffic (`some-traffic`) do not count.
    public var blocksGateways: Bool { findings.contains { $0.certainty != NFTFinding.Certainty.someTraffic.rawValue } }

    /// The `nftables` section of `natgate status`.
    public var description: String {
        if let unreadable { return "nftables: ruleset not readable: \(unreadable)\n" }
        var text = "nftables: \(tables.isEmpty ? "no tables" : "tables \(tables.joined(separator: ", "))")"
        if findings.isEmpty { return text + "; nothing there drops, rejects or re-NATs the gateways.\n" }
        text += "; \(findings.count) finding\(findings.count == 1 ? "" : "s") about the gateways:\n"
        for finding in findings {
            text += "  \(finding.subnet) \(finding.uplink): \(finding.summary)\n"
            text += "    what to do: \(finding.suggestion)\n"
        }
        return text
    }
}

extension GatewayController {
    /// Reads the nf_tables ruleset of the controller's namespace and finds what in it blocks or
    /// takes over `gateways`; nil when the rules are not the kernel's (an in-memory store). A
    /// gateway's `via` is taken as the interface its subnet is behind.
    public func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus? {
        guard store is KernelRuleStore else { return nil }
        let ruleset: NFTRuleset
        do {
            ruleset = try store.inNamespace { try NFTRuleset.read() }
        } catch {
            return NFTablesStatus(generation: nil, tables: [], findings: [], unreadable: "\(error)")
        }
        let findings = gateways.flatMap { gateway in
            ruleset.findings(for: NFTGatewayTraffic(subnet: gateway.subnet, uplink: gateway.uplink, downstream: gateway.via))
        }
        return NFTablesStatus(
            generation: ruleset.generation, tables: ruleset.tables.map { "\($0.family) \($0.name)" },
            findings: findings.map(NFTablesStatus.Finding.init), unreadable: nil)
    }
}
