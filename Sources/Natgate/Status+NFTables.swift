import Foundation
import NatgateModel
import NatgateNFTables
import NatgatePolicy

/// What the namespace's nf_tables ruleset does to the gateways: every nft base chain that drops,
/// rejects or re-NATs a gateway's traffic ahead of or regardless of natgate's legacy rules
/// (`NFTRuleset.findings(for:)`). Both subsystems' hooks see every packet and a drop in either wins,
/// so a gateway blocked here gets no connectivity however right natgate's own rules are.
public struct NFTablesStatus: Sendable, Codable, Hashable, CustomStringConvertible {
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
    /// takes over `gateways`; nil when the rules are not the kernel's (an in-memory store). The
    /// interface a gateway's subnet is behind is its `via`, else the interface the namespace's
    /// routing table sends the subnet to (not a default route, not the uplink), else unknown.
    public func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus? {
        guard store is KernelRuleStore else { return nil }
        let ruleset: NFTRuleset
        let routes: [(network: IPNetwork, interface: String)]
        do {
            (ruleset, routes) = try store.inNamespace { (try NFTRuleset.read(), RouteTable.read()) }
        } catch {
            return NFTablesStatus(generation: nil, tables: [], findings: [], unreadable: "\(error)")
        }
        let findings = ruleset.findings(for: gateways.map { gateway in
            let downstream = gateway.via ?? RouteTable.interface(for: gateway.subnet, in: routes, besides: gateway.uplink)
            return NFTGatewayTraffic(subnet: gateway.subnet, uplink: gateway.uplink, downstream: downstream)
        })
        return NFTablesStatus(
            generation: ruleset.generation, tables: ruleset.tables.map { "\($0.family) \($0.name)" },
            findings: findings.map(NFTablesStatus.Finding.init), unreadable: nil)
    }
}

/// The routes of the calling thread's network namespace, as `/proc/thread-self/net/route` and
/// `ipv6_route` list them (the main and local tables).
enum RouteTable {
    static func read() -> [(network: IPNetwork, interface: String)] {
        var routes: [(IPNetwork, String)] = []
        if let text = try? String(contentsOfFile: "/proc/thread-self/net/route", encoding: .utf8) {
            // Iface Destination Gateway Flags RefCnt Use Metric Mask …; addresses in hex, as
            // the kernel's 32-bit value in host byte order (little-endian here).
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(whereSeparator: \.isWhitespace)
                guard fields.count > 7, let destination = UInt32(fields[1], radix: 16), let mask = UInt32(fields[7], radix: 16) else { continue }
                let network = IPv4Network(masking: IPv4Address(rawValue: UInt32(bigEndian: destination.littleEndian)), mask: UInt32(bigEndian: mask.littleEndian))
                routes.append((.v4(network), String(fields[0])))
            }
        }
        if let text = try? String(contentsOfFile: "/proc/thread-self/net/ipv6_route", encoding: .utf8) {
            // destination (32 hex digits) prefix-length (hex) … interface (last).
            for line in text.split(separator: "\n") {
                let fields = line.split(whereSeparator: \.isWhitespace)
                guard fields.count == 10, fields[0].count == 32, let length = Int(fields[1], radix: 16) else { continue }
                let hex = Array(fields[0])
                let bytes = stride(from: 0, to: 32, by: 2).compactMap { UInt8(String(hex[$0..<$0 + 2]), radix: 16) }
                guard bytes.count == 16 else { continue }
                routes.append((.v6(IPv6Network(masking: IPv6Address(bytes: bytes), prefixLength: length)), String(fields[9])))
            }
        }
        return routes
    }

    /// The interface of the longest route that covers all of `subnet`, other than a default route
    /// and `uplink`; nil when there is none.
    static func interface(for subnet: IPNetwork, in routes: [(network: IPNetwork, interface: String)], besides uplink: InterfaceName) -> InterfaceName? {
        var best: (length: Int, interface: String)?
        for route in routes {
            let covers: Bool
            let length: Int
            switch (route.network, subnet) {
            case (.v4(let network), .v4(let inner)):
                length = network.prefixLength ?? 0
                covers = length > 0 && length <= (inner.prefixLength ?? 32) && network.contains(inner.address)
            case (.v6(let network), .v6(let inner)):
                length = network.prefixLength ?? 0
                covers = length > 0 && length <= (inner.prefixLength ?? 128) && network.contains(inner.address)
            default: continue
            }
            guard covers, !uplink.matches(route.interface), route.interface != "lo", length > (best?.length ?? -1) else { continue }
            best = (length, route.interface)
        }
        return best.flatMap { try? InterfaceName($0.interface) }
    }
}
