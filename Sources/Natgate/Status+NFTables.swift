import Foundation
import NatgateKernel
import NatgateModel
import NatgateNFTables
import NatgatePolicy

extension NFTablesStatus.Finding {
    init(_ finding: NFTFinding) {
        self.init(
            subnet: finding.gateway.subnet.description, uplink: finding.gateway.uplink.rawValue, family: finding.family.description,
            table: finding.table, chain: finding.chain, hook: finding.hook.description, priority: finding.priority,
            policy: finding.policy.description, effect: finding.effect.rawValue, certainty: finding.certainty.rawValue,
            deciders: finding.deciders.map(\.description), directions: finding.directions.map(\.rawValue),
            undecided: finding.undecided, summary: finding.summary, suggestion: finding.suggestion)
    }
}

extension KernelRuleStore {
    /// Reads the nf_tables ruleset of the store's namespace and finds what in it blocks or takes
    /// over `gateways`; see `NFTablesStatus.read(in:for:)`.
    public func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus? {
        NFTablesStatus.read(in: namespace, for: gateways, natgateInNFTables: false)
    }
}

extension NFTablesStatus {
    /// Reads the nf_tables ruleset of `namespace` and finds what in it blocks or takes over
    /// `gateways`. The interface a gateway's subnet is behind is its `via`, else the interface the
    /// namespace's routing table sends the subnet to (not a default route, not the uplink), else
    /// unknown.
    ///
    /// With `natgateInNFTables` (the nft backend), natgate's own chains are in iptables-nft's
    /// tables: a finding decided only by their rules is natgate itself, and is left out.
    static func read(in namespace: NetworkNamespace, for gateways: [Gateway], natgateInNFTables: Bool) -> NFTablesStatus {
        let owned = Set(OwnedChains.tables.compactMap { OwnedChains.owned(in: $0)?.rawValue })
        func isOwned(family: NFTFamily, table: String, chain: String) -> Bool {
            (family == .ip || family == .ip6) && (table == "filter" || table == "nat") && owned.contains(chain)
        }
        let ruleset: NFTRuleset
        let routes: [(network: IPNetwork, interface: String)]
        do {
            (ruleset, routes) = try namespace.run {
                // On the nft backend natgate's own chains are not read back: what a gateway's rules
                // are there is known (below), and dumping tens of thousands of rules is slow.
                let ruleset = natgateInNFTables
                    ? try NFTRuleset.read(skippingRulesOf: { isOwned(family: $0.family, table: $0.table, chain: $0.name) })
                    : try NFTRuleset.read()
                return (ruleset, RouteTable.read())
            }
        } catch {
            return NFTablesStatus(generation: nil, tables: [], findings: [], unreadable: "\(error)")
        }
        func traffic(_ gateway: Gateway) -> NFTGatewayTraffic {
            let downstream = gateway.via ?? RouteTable.interface(for: gateway.subnet, in: routes, besides: gateway.uplink)
            return NFTGatewayTraffic(subnet: gateway.subnet, uplink: gateway.uplink, downstream: downstream)
        }
        var findings: [NFTFinding]
        if natgateInNFTables {
            // natgate's chains hold every gateway's rules, and only a gateway's own rules match its
            // traffic (gateways do not overlap): each gateway is judged with its own rules alone in
            // them, as natgate writes them (drift in them is `status`'s to report), so the walk
            // does not grow with the number of gateways.
            let compiler = GatewayCompiler()
            let encoder = NFTRuleEncoder()
            findings = gateways.flatMap { gateway in
                var mine = ruleset
                for table in OwnedChains.tables {
                    guard let chain = OwnedChains.owned(in: table) else { continue }
                    for rule in compiler.rules(for: gateway, table: table) {
                        if let encoded = try? encoder.encode(rule, family: gateway.family, table: table, chain: chain) { mine.rules.append(encoded) }
                    }
                }
                return mine.findings(for: [traffic(gateway)])
            }
            findings.removeAll { finding in
                (finding.family == .ip || finding.family == .ip6) && ["filter", "nat"].contains(finding.table)
                    && !finding.deciders.isEmpty
                    && finding.deciders.allSatisfy { if case .rule(let chain, _) = $0 { owned.contains(chain) } else { false } }
            }
        } else {
            findings = ruleset.findings(for: gateways.map(traffic))
        }
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

