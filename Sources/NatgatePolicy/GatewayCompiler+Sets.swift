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
        var fitting: [Gateway] = []
        var perRule: [Gateway] = []
        for gateway in gateways {
            if gateway.fitsIPSets { fitting.append(gateway) } else { perRule.append(gateway) }
        }
        var filterShapes: [GatewayShape: [Gateway]] = [:]
        var natShapes: [GatewayShape: [Gateway]] = [:]
        for gateway in fitting {
            filterShapes[GatewayShape(filterOf: gateway), default: []].append(gateway)
            natShapes[GatewayShape(natOf: gateway), default: []].append(gateway)
        }
        var collided: Set<GatewayShape> = []
        for shapes in [filterShapes.keys, natShapes.keys] {
            var byName: [String: GatewayShape] = [:]
            for shape in shapes.sorted() {
                if byName[shape.setName] != nil { collided.insert(shape) } else { byName[shape.setName] = shape }
            }
        }
        if !collided.isEmpty {
            let moved = fitting.filter { collided.contains(GatewayShape(filterOf: $0)) || collided.contains(GatewayShape(natOf: $0)) }
            perRule = (perRule + moved).sorted()
            let movedKeys = Set(moved.map(\.key))
            fitting.removeAll { movedKeys.contains($0.key) }
            filterShapes = [:]
            natShapes = [:]
            for gateway in fitting {
                filterShapes[GatewayShape(filterOf: gateway), default: []].append(gateway)
                natShapes[GatewayShape(natOf: gateway), default: []].append(gateway)
            }
        }
        return SetLayout(
            filter: filterShapes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            nat: natShapes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            perRule: perRule)
    }

    /// The ip sets `set`'s gateways of `family` need, by name: empty with `datapath` `.rules`.
    ///
    /// Per filter shape `natgate-f<digest>-v4` holds `SUBNET,UPLINK` of each of its gateways and,
    /// with `--via`, `natgate-f<digest>-via-v4` holds `SUBNET,VIA`; per nat shape
    /// `natgate-n<digest>-v4` holds `SUBNET,UPLINK`.
    public func sets(for set: GatewaySet, family: Family) -> [String: IPSetContents] {
        guard datapath == .ipSets else { return [:] }
        return sets(for: layout(set.gateways(of: family)), family: family)
    }

    /// The sets of a layout, by name.
    public func sets(for layout: SetLayout, family: Family) -> [String: IPSetContents] {
        var sets: [String: IPSetContents] = [:]
        for (shape, gateways) in layout.filter + layout.nat {
            sets[shape.setName] = IPSetContents(
                name: shape.setName, family: family,
                members: Set(gateways.map { NetIfaceMember(network: $0.subnet, interface: $0.uplink) }))
            if let via = shape.viaSetName {
                sets[via] = IPSetContents(
                    name: via, family: family,
                    members: Set(gateways.compactMap { gateway in gateway.via.map { NetIfaceMember(network: gateway.subnet, interface: $0) } }))
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
        let layout = self.layout(gateways)
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
