import NatgateModel

extension NFTRuleset {
    /// natgate's legacy nat chain sits at NF_IP_PRI_NAT_SRC; nft nat chains at a lower priority
    /// (or at the same one, registered later) bind a connection's source NAT before it.
    static let legacySourceNATPriority: Int32 = 100
    /// How deep jumps and gotos are followed before the analysis gives up on a path.
    static let jumpLimit = 16

    /// Every base chain of this ruleset that drops, rejects or re-NATs `gateway`'s traffic,
    /// ahead of or regardless of natgate's legacy rules:
    ///
    /// - filter chains at the `forward` and `postrouting` hooks (of family ip, ip6 or inet, as the
    ///   gateway's family) whose policy drop applies to some of its packets, or whose rules drop or
    ///   reject them before anything accepts them, following jumps and gotos into regular chains;
    /// - nat chains at `postrouting` below natgate's priority (100) that masquerade or snat the
    ///   subnet (or drop it), or at the same priority, where the chain registered last runs first
    ///   and so the order of registration decides. Chains above it never see the connection: the
    ///   first NAT binding stands.
    ///
    /// Each base chain is judged on its own, as the kernel runs it: an accept in one does not stop
    /// another from dropping. iptables-nft's own tables (`ip filter` with FORWARD) are nft tables
    /// and are judged like any other.
    ///
    /// What it cannot decide it names in `undecided` and reports as `possible` (names of
    /// interfaces on the subnet's side when `gateway.downstream` is nil; registration order at
    /// natgate's nat priority) or `someTraffic` (xt compat matches other than comment, conntrack
    /// and state; concatenated set keys, marks, ports, addresses outside the subnet and other
    /// fields it has no value for). Set lookups and verdict maps are decided from their elements.
    /// Dormant tables and the bridge, netdev and arp families are not looked at.
    public func findings(for gateway: NFTGatewayTraffic) -> [NFTFinding] {
        findings(for: [gateway])
    }

    /// The findings of every gateway, in the gateways' order; see `findings(for:)` of one gateway.
    public func findings(for gateways: [NFTGatewayTraffic]) -> [NFTFinding] {
        let index = ChainIndex(self)
        return gateways.flatMap { findings(for: $0, index) }
    }

    private func findings(for gateway: NFTGatewayTraffic, _ index: ChainIndex) -> [NFTFinding] {
        var result: [NFTFinding] = []
        for chain in baseChains {
            guard let base = chain.base, chain.family.sees(gateway.family),
                  table(of: chain)?.isDormant != true else { continue }
            switch (base.type, base.hook) {
            case (.filter, .forward), (.filter, .postrouting):
                result += filterFindings(chain, base, gateway, index)
            case (.nat, .postrouting) where base.priority <= NFTRuleset.legacySourceNATPriority:
                result += natFindings(chain, base, gateway, index)
            default: continue
            }
        }
        return result
    }

    private func filterFindings(_ chain: NFTChain, _ base: NFTChain.Base, _ gateway: NFTGatewayTraffic, _ index: ChainIndex) -> [NFTFinding] {
        // Per effect: the directions it hits, whether any is certain, the deciders, the undecided conditions.
        var byEffect: [NFTFinding.Effect: (directions: [NFTGatewayTraffic.Direction], certain: Bool, deciders: [NFTFinding.Decider], undecided: [String], traffic: Bool)] = [:]
        for direction in NFTGatewayTraffic.Direction.allCases {
            let packet = PacketModel(gateway, direction)
            var walk = ChainWalk(index: index, packet: packet)
            let outcomes = walk.run(chain, depth: 0)
            for outcome in outcomes {
                let effect: NFTFinding.Effect
                var decider = outcome.decider
                switch outcome.kind {
                case .drop: effect = .drop
                case .reject: effect = .reject
                case .fallThrough where base.policy == .drop:
                    effect = .drop
                    decider = .policy
                default: continue
                }
                var entry = byEffect[effect] ?? ([], false, [], [], false)
                if !entry.directions.contains(direction) { entry.directions.append(direction) }
                entry.certain = entry.certain || outcome.certain
                if let decider, !entry.deciders.contains(decider) { entry.deciders.append(decider) }
                for condition in walk.undecided where !entry.undecided.contains(condition) { entry.undecided.append(condition) }
                entry.traffic = entry.traffic || walk.undecidedTraffic
                byEffect[effect] = entry
            }
        }
        return [NFTFinding.Effect.drop, .reject].compactMap { effect in
            guard let entry = byEffect[effect] else { return nil }
            return NFTFinding(
                gateway: gateway, family: chain.family, table: chain.table, chain: chain.name, hook: base.hook,
                priority: base.priority, policy: base.policy, effect: effect,
                certainty: entry.certain ? .certain : entry.traffic ? .someTraffic : .possible,
                deciders: entry.deciders, directions: entry.directions, undecided: entry.certain ? [] : entry.undecided,
                suggestion: filterSuggestion(chain, gateway, deciders: entry.deciders))
        }
    }

    private func natFindings(_ chain: NFTChain, _ base: NFTChain.Base, _ gateway: NFTGatewayTraffic, _ index: ChainIndex) -> [NFTFinding] {
        // NAT is decided on a connection's first packet.
        var walk = ChainWalk(index: index, packet: PacketModel(gateway, .outboundNew))
        let outcomes = walk.run(chain, depth: 0)
        var findings: [NFTFinding] = []
        let samePriority = base.priority == NFTRuleset.legacySourceNATPriority
        for effect in [NFTFinding.Effect.nat, .drop, .reject] {
            let hits = outcomes.filter { outcome in
                switch (effect, outcome.kind) {
                case (.nat, .nat), (.drop, .drop), (.reject, .reject): true
                case (.drop, .fallThrough): base.policy == .drop
                default: false
                }
            }
            guard !hits.isEmpty else { continue }
            // A drop hurts whatever the order; a NAT at natgate's own priority only if registered
            // after natgate's legacy nat table, which natgate cannot see.
            let pathCertain = hits.contains(where: \.certain)
            let certain = pathCertain && !(effect == .nat && samePriority)
            var undecided = pathCertain ? [] : walk.undecided
            if effect == .nat && samePriority {
                undecided.append("registration order at priority \(base.priority), natgate's own (of nat chains at one priority, the one registered last binds the connection)")
            }
            let certainty: NFTFinding.Certainty = certain ? .certain : (!pathCertain && walk.undecidedTraffic) ? .someTraffic : .possible
            findings.append(NFTFinding(
                gateway: gateway, family: chain.family, table: chain.table, chain: chain.name, hook: base.hook,
                priority: base.priority, policy: base.policy, effect: effect, certainty: certainty,
                deciders: hits.map { $0.decider ?? .policy }.uniqued(), directions: [.outboundNew], undecided: undecided,
                suggestion: effect == .nat ? natSuggestion(chain, gateway) : filterSuggestion(chain, gateway, deciders: hits.compactMap(\.decider))))
        }
        return findings
    }

    /// The uplink as nft writes an interface name: `wlan*` for iptables' `wlan+`.
    private func nftName(_ name: InterfaceName) -> String { name.isWildcard ? name.stem + "*" : name.rawValue }

    private func filterSuggestion(_ chain: NFTChain, _ gateway: NFTGatewayTraffic, deciders: [NFTFinding.Decider]) -> String {
        let address = gateway.family == .ipv4 ? "ip" : "ip6"
        if isIptablesNFT(chain) {
            let tool = chain.family == .ip ? "iptables-nft" : "ip6tables-nft"
            let target = self.chain(chain.family, chain.table, "DOCKER-USER") != nil ? "DOCKER-USER" : chain.name
            return "This is an iptables-nft table: accept the gateway ahead of the drop, e.g. `\(tool) -I \(target) 1 -s \(gateway.subnet) -o \(gateway.uplink) -j ACCEPT` and `\(tool) -I \(target) 1 -d \(gateway.subnet) -i \(gateway.uplink) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, or allow it in the configuration of the program that owns the table."
        }
        let place = deciders.contains(.policy) && deciders.count == 1 ? "" : " (before \(deciders.map(\.description).joined(separator: ", ")))"
        return "Accept the gateway in this chain\(place), e.g. `nft insert rule \(chain.family) \(chain.table) \(chain.name) \(address) saddr \(gateway.subnet) oifname \"\(nftName(gateway.uplink))\" accept` and `nft insert rule \(chain.family) \(chain.table) \(chain.name) \(address) daddr \(gateway.subnet) iifname \"\(nftName(gateway.uplink))\" ct state established,related accept`, or allow it in the configuration of the program that owns the table (firewalld: a policy or zone for the subnet)."
    }

    private func natSuggestion(_ chain: NFTChain, _ gateway: NFTGatewayTraffic) -> String {
        let address = gateway.family == .ipv4 ? "ip" : "ip6"
        if isIptablesNFT(chain) {
            let tool = chain.family == .ip ? "iptables-nft" : "ip6tables-nft"
            return "This is an iptables-nft nat table: let the gateway through untranslated, e.g. `\(tool) -t nat -I \(chain.name) 1 -s \(gateway.subnet) -o \(gateway.uplink) -j ACCEPT`, so that natgate's masquerading applies, or narrow the rule that matches it."
        }
        return "Leave the gateway to natgate: `nft insert rule \(chain.family) \(chain.table) \(chain.name) \(address) saddr \(gateway.subnet) oifname \"\(nftName(gateway.uplink))\" accept` (an accept in a nat chain skips its NAT), or narrow the rule that matches it."
    }

    /// Whether the chain lives in a table iptables-nft writes: `ip`/`ip6` `filter`, `nat`, … with
    /// upper-case built-in chain names.
    private func isIptablesNFT(_ chain: NFTChain) -> Bool {
        (chain.family == .ip || chain.family == .ip6)
            && ["filter", "nat", "mangle", "raw", "security"].contains(chain.table)
            && ["FORWARD", "POSTROUTING", "PREROUTING", "INPUT", "OUTPUT"].contains(chain.name)
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
