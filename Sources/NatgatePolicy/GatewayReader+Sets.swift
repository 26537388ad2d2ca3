import NatgateModel

extension GatewayCompiler {
    /// The gateways the members of the shapes' sets make whole, and the drift of the members
    /// that make none.
    ///
    /// A gateway is a `SUBNET,UPLINK` member of exactly one filter shape's set and of exactly one
    /// nat shape's set (the same uplink), and for a `--via` filter shape a `SUBNET,VIA` member of
    /// its via set; its options are the two shapes'. Nothing is guessed: a member that makes no
    /// whole gateway is reported, and the next change removes it.
    static func gateways(family: Family, shapes: [TableName: [GatewayShape]], sets: [String: IPSetContents]) -> (gateways: [Gateway], drift: [Drift], incomplete: Set<IPNetwork>) {
        func members(_ name: String) -> Set<NetIfaceMember>? {
            guard let set = sets[name], set.hasNatgateType, set.family == family else { return nil }
            return set.members
        }
        let filterShapes = shapes[.filter] ?? []
        let natShapes = shapes[.nat] ?? []
        // Every member of the shapes' sets, with the index of its shape, sorted by subnet (then
        // in the order read: shape by shape, each set's members in its order); the two lists are
        // then walked side by side, one subnet at a time. Sorting costs less than hashing every
        // subnet into a dictionary per table, and gives the subnets in order.
        struct Membership {
            var subnet: IPNetwork
            var uplink: InterfaceName
            var shape: Int
            /// `subnet`'s order (`IPNetwork`'s: IPv4 first, then address, then mask) as integers,
            /// then the order read.
            var key: (UInt8, UInt64, UInt64, UInt64, UInt64, Int)

            init(_ member: NetIfaceMember, shape: Int, order: Int) {
                subnet = member.network
                uplink = member.interface
                self.shape = shape
                switch member.network {
                case .v4(let network): key = (0, UInt64(network.address.rawValue) << 32 | UInt64(network.mask), 0, 0, 0, order)
                case .v6(let network): key = (1, network.address.high, network.address.low, network.mask.high, network.mask.low, order)
                }
            }
        }
        func memberships(_ shapes: [GatewayShape]) -> [Membership] {
            let sets = shapes.map { members($0.setName) }
            var list: [Membership] = []
            list.reserveCapacity(sets.reduce(0) { $0 + ($1?.count ?? 0) })
            for (index, set) in sets.enumerated() {
                for member in set ?? [] { list.append(Membership(member, shape: index, order: list.count)) }
            }
            list.sort { $0.key < $1.key }
            return list
        }
        let filterMembers = memberships(filterShapes)
        let natMembers = memberships(natShapes)
        var viaBySet: [String: [IPNetwork: [InterfaceName]]] = [:]
        for shape in filterShapes {
            if let via = shape.viaSetName {
                for member in members(via) ?? [] { viaBySet[via, default: [:]][member.network, default: []].append(member.interface) }
            }
        }
        var gateways: [Gateway] = []
        gateways.reserveCapacity(max(filterMembers.count, natMembers.count))
        var drift: [Drift] = []
        var incomplete: Set<IPNetwork> = []
        var f = 0
        var n = 0
        while f < filterMembers.count || n < natMembers.count {
            let subnet = n == natMembers.count || (f < filterMembers.count && filterMembers[f].subnet < natMembers[n].subnet)
                ? filterMembers[f].subnet : natMembers[n].subnet
            var filterEnd = f
            while filterEnd < filterMembers.count, filterMembers[filterEnd].subnet == subnet { filterEnd += 1 }
            var natEnd = n
            while natEnd < natMembers.count, natMembers[natEnd].subnet == subnet { natEnd += 1 }
            let filter = filterMembers[f..<filterEnd]
            let nat = natMembers[n..<natEnd]
            f = filterEnd
            n = natEnd
            var reason: String?
            var gateway: Gateway?
            if filter.count == 1, nat.count == 1, filter.first!.uplink == nat.first!.uplink {
                let uplink = filter.first!.uplink
                let filterShape = filterShapes[filter.first!.shape]
                let natShape = natShapes[nat.first!.shape]
                var via: InterfaceName?
                if let viaSet = filterShape.viaSetName {
                    let vias = viaBySet[viaSet]?[subnet] ?? []
                    if vias.count == 1 { via = vias[0] } else { reason = "\(viaSet) holds \(vias.count) members for it, where a --via gateway has one" }
                }
                if reason == nil {
                    gateway = try? Gateway(
                        subnet: subnet, uplink: uplink, via: via, inbound: filterShape.inbound, exclude: natShape.exclude,
                        snatTo: natShape.snatTo, ports: natShape.ports, randomFully: natShape.randomFully)
                    if gateway == nil { reason = "its members and shapes make no valid gateway" }
                }
            }
            if let gateway {
                gateways.append(gateway)
                continue
            }
            // Drift: named with the shapes' sets, filter's first.
            let inFilter = filter.map { (uplink: $0.uplink, shape: filterShapes[$0.shape]) }
            let inNAT = nat.map { (uplink: $0.uplink, shape: natShapes[$0.shape]) }
            if reason == nil {
                if inFilter.isEmpty || inNAT.isEmpty {
                    reason = "it is a member of \((inFilter.isEmpty ? inNAT : inFilter).map(\.shape.setName).joined(separator: ", ")) but of no \(inFilter.isEmpty ? "filter" : "nat") set of natgate's shapes, so its \(inFilter.isEmpty ? "forwarding" : "source NAT") is unknown"
                } else {
                    let names = (inFilter + inNAT).map { "\($0.shape.setName) (\(subnet),\($0.uplink))" }
                    reason = "it is in several sets that disagree: " + names.joined(separator: ", ")
                }
            }
            if let reason {
                incomplete.insert(subnet)
                drift.append(.setDiffers(family, set: (inFilter + inNAT).map(\.shape.setName).joined(separator: ", "),
                    reason: "holds subnet \(subnet), which makes no whole gateway: \(reason). natgate does not guess the rest; the next change removes these members (run `natgate enable` with the gateway's options to keep it)."))
            }
        }
        return (gateways, drift, incomplete)
    }

    /// How the `natgate-*` sets of `family` in `actual` differ from `expected` (what the gateways
    /// read back need): missing, of another type or family, other members, or not needed.
    ///
    /// Members of `reported` subnets (already named as making no whole gateway) are left out.
    ///
    /// `expected` gives each set's members as a list, each member once (`setMembers(for:family:)`):
    /// a set that holds exactly them is found so with one lookup per member.
    static func setDrift(
        family: Family, expected: [String: [NetIfaceMember]], actual: [String: IPSetContents], shapes: [TableName: [GatewayShape]],
        reported: Set<IPNetwork> = []
    ) -> [Drift] {
        var drift: [Drift] = []
        let ofFamily = actual.filter { name, _ in
            name.hasPrefix(GatewayShape.setPrefix) && (GatewayShape.family(ofSet: name) ?? .ipv4) == family
        }
        let shapeSets = Set(Array(shapes.values.joined()).flatMap(\.setNames))
        for name in Set(expected.keys).union(ofFamily.keys).union(shapeSets).sorted() {
            if let set = ofFamily[name], !set.hasNatgateType || set.family != family {
                drift.append(.setDiffers(family, set: name, reason: "is \(set.typeName) family \(set.family == .ipv4 ? "inet" : "inet6"), where natgate needs \(IPSetContents.natgateType) family \(family == .ipv4 ? "inet" : "inet6"): \(expected[name] == nil ? "`natgate apply` or `flush` destroys it" : "the next change makes it again")."))
                continue
            }
            switch (expected[name], ofFamily[name]) {
            case (_, nil):
                drift.append(.setDiffers(family, set: name, reason: "is missing, though natgate's rules use it: the next change creates it (gateways of its shape are known again only from `natgate enable` or `apply`)."))
            case (nil, let set?):
                if shapeSets.contains(name) { continue }
                drift.append(.setDiffers(family, set: name, reason: "(\(set.members.count) members) is a natgate set that no gateway natgate can read needs: `natgate apply` or `flush` destroys it (enable and disable leave it)."))
            case (let wanted?, let set?):
                // Each wanted member once: as many members, all of them wanted, is equality.
                if wanted.count == set.members.count, wanted.allSatisfy({ set.members.contains($0) }) { continue }
                let want = IPSetContents(name: name, family: family, members: Set(wanted))
                let extra = set.members.subtracting(want.members).filter { !reported.contains($0.network) }.sorted()
                let missing = want.members.subtracting(set.members).sorted()
                guard !extra.isEmpty || !missing.isEmpty else { continue }
                var parts: [String] = []
                if !extra.isEmpty { parts.append("holds \(extra.count) member\(extra.count == 1 ? "" : "s") no gateway has (\(extra.prefix(3).map(\.description).joined(separator: ", "))\(extra.count > 3 ? ", …" : ""))") }
                if !missing.isEmpty { parts.append("lacks \(missing.count) (\(missing.prefix(3).map(\.description).joined(separator: ", "))\(missing.count > 3 ? ", …" : ""))") }
                drift.append(.setDiffers(family, set: name, reason: parts.joined(separator: " and ") + ": the next change sets its members."))
            }
        }
        return drift
    }
}
