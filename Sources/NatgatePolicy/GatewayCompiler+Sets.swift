import NatgateModel

extension GatewayCompiler {
    /// How natgate's rules find a packet's gateway.
    public enum Datapath: String, Hashable, Sendable {
        /// Every gateway has rules of its own (`rules(for:table:)`): a packet walks every gateway
        /// before its own. For stores that cannot hold ip sets.
        case rules
        /// Gateways share rules by shape (`GatewayShape`) and are members of `hash:net,iface`
        /// sets: a packet passes a few rules per shape whatever the number of gateways, and
        /// adding a gateway of an existing shape adds set members only (docs/datapath.md).
        case ipSets
    }

    /// How one family's gateways sit in the datapath: by shape in sets, or with rules of their own.
    public struct SetLayout: Hashable, Sendable {
        /// The filter shapes and their gateways (sorted), shapes in canonical order.
        public var filter: [(shape: GatewayShape, gateways: [Gateway])]
        /// The nat shapes and their gateways (sorted), shapes in canonical order.
        public var nat: [(shape: GatewayShape, gateways: [Gateway])]
        /// The gateways that keep rules of their own, sorted: those whose subnet or interfaces a
        /// set cannot hold (`Gateway.fitsIPSets`) and those of a shape whose set names collide
        /// with another shape's.
        public var perRule: [Gateway]

        public static func == (lhs: SetLayout, rhs: SetLayout) -> Bool {
            lhs.filter.map(\.shape) == rhs.filter.map(\.shape) && lhs.filter.map(\.gateways) == rhs.filter.map(\.gateways)
                && lhs.nat.map(\.shape) == rhs.nat.map(\.shape) && lhs.nat.map(\.gateways) == rhs.nat.map(\.gateways)
                && lhs.perRule == rhs.perRule
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(filter.map(\.shape))
            hasher.combine(nat.map(\.shape))
            hasher.combine(perRule)
        }

        /// The shapes of `table`.
        public func shapes(_ table: TableName) -> [(shape: GatewayShape, gateways: [Gateway])] { table == .filter ? filter : nat }
    }

    /// The layout of `gateways` (one family, sorted): each gateway in sets by shape, but for those
    /// that keep rules of their own. A shape whose set name another shape of the family also has
    /// (a digest collision) keeps rules per gateway; of colliding shapes, the first in canonical
    /// order gets the sets.
    public func layout(_ gateways: [Gateway]) -> SetLayout {
        // Gateways are grouped by the fields of their shapes first: a shape's text is built once
        // per group, not once per gateway (10,000 gateways are usually a handful of shapes).
        // Groups hold positions in `gateways`; each gateway is copied once, into its final group.
        struct FilterKey: Hashable { var hasVia: Bool; var inbound: Gateway.Inbound }
        struct NATKey: Hashable { var exclude: [IPNetwork]; var snatTo: IPAddress?; var ports: PortRange?; var randomFully: Bool }
        var perRule: [Int] = []
        var natGroups: [NATKey: [Int]] = [:]
        for (index, gateway) in gateways.enumerated() {
            let prefix: Int? = switch gateway.subnet {
            case .v4(let network): network.prefixLength
            case .v6(let network): network.prefixLength
            }
            guard prefix != nil, !gateway.uplink.isWildcard, !(gateway.via?.isWildcard ?? false) else {
                perRule.append(index)
                continue
            }
            natGroups[NATKey(exclude: gateway.exclude, snatTo: gateway.snatTo, ports: gateway.ports, randomFully: gateway.randomFully), default: []].append(index)
        }
        var nat: [GatewayShape: [Int]] = [:]
        var fitting: [Int] = []
        for group in natGroups.values {
            let shape = GatewayShape(natOf: gateways[group[0]])
            if shape.description.utf8.count > OwnedChains.tagLimit {
                perRule += group
            } else {
                nat[shape] = group
                fitting += group
            }
        }
        var filterGroups: [FilterKey: [Int]] = [:]
        for index in fitting {
            let gateway = gateways[index]
            filterGroups[FilterKey(hasVia: gateway.via != nil, inbound: gateway.inbound), default: []].append(index)
        }
        var filter: [GatewayShape: [Int]] = [:]
        for group in filterGroups.values { filter[GatewayShape(filterOf: gateways[group[0]])] = group }
        // Shapes whose set names collide: the first in canonical order keeps the sets.
        var collided: Set<GatewayShape> = []
        for shapes in [filter.keys, nat.keys] {
            var byName: Set<String> = []
            for shape in shapes.sorted() where !byName.insert(shape.setName).inserted { collided.insert(shape) }
        }
        if !collided.isEmpty {
            var moved: Set<Gateway.Key> = []
            for shape in collided { for index in filter[shape] ?? nat[shape] ?? [] { moved.insert(gateways[index].key) } }
            perRule += fitting.filter { moved.contains(gateways[$0].key) }
            for (shape, group) in filter { filter[shape] = group.filter { !moved.contains(gateways[$0].key) } }
            for (shape, group) in nat { nat[shape] = group.filter { !moved.contains(gateways[$0].key) } }
            filter = filter.filter { !$0.value.isEmpty }
            nat = nat.filter { !$0.value.isEmpty }
        }
        // Each group sorted: in the order given (usually sorted already), sorted only if not.
        func gatewaysOf(_ group: [Int]) -> [Gateway] {
            let inOrder = group.sorted().map { gateways[$0] }
            return zip(inOrder, inOrder.dropFirst()).allSatisfy { $0 < $1 } ? inOrder : inOrder.sorted()
        }
        return SetLayout(
            filter: filter.map { ($0.key, gatewaysOf($0.value)) }.sorted { $0.0 < $1.0 },
            nat: nat.map { ($0.key, gatewaysOf($0.value)) }.sorted { $0.0 < $1.0 },
            perRule: gatewaysOf(perRule))
    }

    /// The ip sets `set`'s gateways of `family` need, by name: empty with `datapath` `.rules`.
    ///
    /// Per filter shape `natgate-f<digest>-v4` holds `SUBNET,UPLINK` of each of its gateways and,
    /// with `--via`, `natgate-f<digest>-via-v4` holds `SUBNET,VIA`; per nat shape
    /// `natgate-n<digest>-v4` holds `SUBNET,UPLINK`; per prefix length of their subnets,
    /// `natgate-s<length>-v4` holds `SUBNET,subnet` (`SubnetIndex`), which no rule uses.
    public func sets(for set: GatewaySet, family: Family) -> [String: IPSetContents] {
        guard datapath == .ipSets else { return [:] }
        return sets(for: layout(set.gateways(of: family)), family: family)
    }

    /// The sets of a layout, by name: the shapes' and the index of their gateways' subnets.
    public func sets(for layout: SetLayout, family: Family) -> [String: IPSetContents] {
        var sets: [String: IPSetContents] = [:]
        for (name, members) in setMembers(for: layout, family: family) {
            sets[name] = IPSetContents(name: name, family: family, members: Set(members))
        }
        return sets
    }

    /// The members of the sets of a layout (`sets(for:family:)`), by set name, each member once:
    /// the gateways of a layout have distinct subnets (a `GatewaySet`'s), and every member
    /// holds its gateway's subnet.
    func setMembers(for layout: SetLayout, family: Family) -> [String: [NetIfaceMember]] {
        var sets: [String: [NetIfaceMember]] = [:]
        // Every gateway in sets has a filter shape (and a nat shape): the index holds their subnets.
        var indexNames: [Int: String] = [:]
        for (_, gateways) in layout.filter {
            for gateway in gateways {
                guard let length = SubnetIndex.prefixLength(of: gateway.subnet) else { continue }
                let name: String
                if let known = indexNames[length] {
                    name = known
                } else {
                    name = SubnetIndex.setName(prefixLength: length, family: family)
                    indexNames[length] = name
                }
                sets[name, default: []].append(SubnetIndex.member(gateway.subnet))
            }
        }
        for (shape, gateways) in layout.filter + layout.nat {
            sets[shape.setName] = gateways.map { NetIfaceMember(network: $0.subnet, interface: $0.uplink) }
            if let via = shape.viaSetName {
                sets[via] = gateways.compactMap { gateway in gateway.via.map { NetIfaceMember(network: gateway.subnet, interface: $0) } }
            }
        }
        return sets
    }

    /// The rules of the owned chain of `table` for `set`'s gateways of `family` laid out in sets:
    /// the shapes' rules in canonical order, then the rules of the gateways that keep their own
    /// with the `kept` rules among them (see `merging`).
    func chainRules(for set: GatewaySet, family: Family, table: TableName, kept: [KeptRule]) -> [Rule] {
        let gateways = set.gateways(of: family)
        guard datapath == .ipSets else {
            return kept.isEmpty
                ? perGatewayRules(for: gateways, table: table)
                : GatewayCompiler.merging(gateways.map { rules(for: $0, table: table) }, keys: gateways.map(\.key), kept: kept)
        }
        return chainRules(for: layout(gateways), family: family, table: table, kept: kept)
    }

    /// The rules of the owned chain of `table` for the gateways of `layout`: the shapes' rules in
    /// canonical order, then the rules of the gateways that keep their own, with `kept`.
    package func chainRules(for layout: SetLayout, family: Family, table: TableName, kept: [KeptRule]) -> [Rule] {
        let parts = Parts(compiler: self, family: family)
        var result = layout.shapes(table).flatMap { parts.shapeRules($0.shape) }
        result += GatewayCompiler.merging(layout.perRule.map { rules(for: $0, table: table) }, keys: layout.perRule.map(\.key), kept: kept)
        return result
    }

    /// The rules of one shape, in order; empty for a table natgate does not write.
    public func rules(for shape: GatewayShape) -> [Rule] {
        Parts(compiler: self, family: shape.family).shapeRules(shape)
    }
}

extension Parts {
    /// A set match over `name` in `directions` (`-m set --match-set NAME src,dst`).
    func setMatch(_ name: String, _ directions: String, table: TableName) -> Match {
        let chain = OwnedChains.owned(in: table) ?? OwnedChains.forward
        return compiler.match("set", [("--match-set", [name, directions])], context: ExtensionContext(family: family, table: table, chain: chain))
    }

    /// The rules of `shape` (docs/datapath.md, "Rules per shape"), each with the shape's
    /// canonical text as its comment.
    ///
    /// Filter: out (`F src,dst` and `FV src,src`) ACCEPT; back (`F dst,src` and `FV dst,dst`)
    /// with conntrack RELATED,ESTABLISHED ACCEPT; back without conntrack DNAT DROP. `--inbound
    /// all`: back ACCEPT alone. Nat: each exclusion `N src,dst -d NET` RETURN, then MASQUERADE or
    /// SNAT (`--ports`: tcp and udp with the ports, then one without).
    func shapeRules(_ shape: GatewayShape) -> [Rule] {
        let tag: Match
        do {
            tag = Match(try CommentMatch(shape.description))
        } catch {
            preconditionFailure("natgate's own shape comment was refused: \(error)")
        }
        switch shape.table {
        case .filter:
            var outMatches = [setMatch(shape.setName, "src,dst", table: .filter)]
            var backMatches = [setMatch(shape.setName, "dst,src", table: .filter)]
            if let via = shape.viaSetName {
                outMatches.append(setMatch(via, "src,src", table: .filter))
                backMatches.append(setMatch(via, "dst,dst", table: .filter))
            }
            let out = Rule(matches: outMatches + [tag], target: .accept)
            guard shape.inbound == .established else { return [out, Rule(matches: backMatches + [tag], target: .accept)] }
            return [
                out,
                Rule(matches: backMatches + [tag, established], target: .accept),
                Rule(matches: backMatches + [tag, notForwarded], target: .drop),
            ]
        case .nat:
            let member = setMatch(shape.setName, "src,dst", table: .nat)
            var rules = shape.exclude.map { network in
                Rule(destination: Negatable(network), matches: [member, tag], target: .return)
            }
            let protocols: [IPProtocol?] = shape.ports == nil ? [nil] : [.tcp, .udp, nil]
            for ipProtocol in protocols {
                rules.append(
                    Rule(
                        ipProtocol: ipProtocol.map { Negatable($0) }, matches: [member, tag],
                        target: .extension(natTarget(snatTo: shape.snatTo, randomFully: shape.randomFully, ports: ipProtocol == nil ? nil : shape.ports, ipProtocol: ipProtocol))))
            }
            return rules
        default:
            return []
        }
    }
}
