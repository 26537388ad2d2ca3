import NatgateModel
import NatgatePolicy

// Constant-time `enable` and `disable` on the set datapath (docs/datapath.md, "Constant-time
// member changes"): a gateway whose two shapes are in place with their rules intact is enabled or
// disabled by set members alone, and what decides that is read without listing a member: the
// family's two tables (a few rules per shape), the names and headers of natgate's sets, and a
// few set `test` lookups. Anything else (a new shape or prefix length, the last gateway of a
// shape, options that change, a conflict, drift in the tables or sets, an interrupted change)
// returns nil and takes the path that reads every gateway, which says and does exactly what it
// always did. Drift of other gateways' members is not looked for here: `status`, `plan` and
// `apply` find it.

extension GatewayController {
    /// `operation` made by set members alone, when it can be; nil when it takes the full path.
    func memberChange(_ operation: Operation, intent: ChangeIntentWriter) throws -> Report? {
        guard changesMembersAlone, let sets = store.ipSets else { return nil }
        switch operation {
        case .enable(let gateway): return try memberEnable(gateway, in: store, sets: sets, intent: intent)
        case .disable(let key): return try memberDisable(key, in: store, sets: sets, intent: intent)
        case .apply, .flush: return nil
        }
    }

    /// One family's shapes and sets as read without a member: nil unless natgate's chains hold
    /// exactly the rules of some shapes (each once, in canonical order, nothing else, both jumps
    /// first and alone) and the family's `natgate-*` sets are exactly those shapes' sets and subnet
    /// index sets, each of natgate's type and family.
    struct MemberDatapath {
        let family: Family
        let shapes: [TableName: [GatewayShape]]
        /// Each set of the family by name, without its members.
        let summaries: [String: IPSetSummary]
        /// The prefix lengths of the index sets (`SubnetIndex`), ascending.
        let lengths: [Int]

        static func read<Store: RuleStore>(_ store: Store, sets: any IPSetStore, family: Family, compiler: GatewayCompiler) throws -> MemberDatapath? {
            let tables = try store.read(family, tables: OwnedChains.tables)
            var shapes: [TableName: [GatewayShape]] = [:]
            for name in OwnedChains.tables {
                guard let table = tables[name], let owned = OwnedChains.owned(in: name), let hook = OwnedChains.hook(in: name),
                      let chain = table.chain(named: owned), let hooked = table.chain(named: hook)
                else { return nil }
                guard hooked.rules.indices.filter({ hooked.rules[$0].target?.chain == owned }) == [0],
                      table.references(to: owned).allSatisfy({ $0.0 == hook })
                else { return nil }
                var found: [GatewayShape] = []
                for rule in chain.rules {
                    guard let comment = rule.matches.lazy.compactMap({ $0.as(CommentMatch.self) }).first?.comment,
                          let shape = GatewayShape(comment: comment), shape.family == family, shape.table == name
                    else { return nil }
                    if found.last != shape { found.append(shape) }
                }
                // Each shape once, in canonical order, with set names of its own: as `layout` makes them.
                guard !found.isEmpty, zip(found, found.dropFirst()).allSatisfy({ $0 < $1 }),
                      Set(found.map(\.setName)).count == found.count,
                      chain.rules.map(\.withoutCounters) == found.flatMap({ compiler.rules(for: $0) })
                else { return nil }
                shapes[name] = found
            }
            let names = try sets.natgateSetNames().filter { (GatewayShape.family(ofSet: $0) ?? .ipv4) == family }
            let shapeSets = Set(shapes.values.joined().flatMap(\.setNames))
            guard shapeSets.isSubset(of: names) else { return nil }
            var lengths: [Int] = []
            var summaries: [String: IPSetSummary] = [:]
            for name in names {
                if !shapeSets.contains(name) {
                    guard let length = SubnetIndex.prefixLength(ofSet: name, family: family) else { return nil }
                    lengths.append(length)
                }
                guard let summary = try sets.summary(name), summary.hasNatgateType, summary.family == family else { return nil }
                summaries[name] = summary
            }
            return MemberDatapath(family: family, shapes: shapes, summaries: summaries, lengths: lengths.sorted())
        }

        /// Whether an index set shorter than `length` holds the network of that length around
        /// `subnet`: a gateway whose subnet holds `subnet`.
        func shorterHolds(_ subnet: IPNetwork, length: Int, sets: any IPSetStore) throws -> Bool {
            for q in lengths where q < length {
                if try sets.contains(SubnetIndex.member(SubnetIndex.cut(subnet, to: q)), in: SubnetIndex.setName(prefixLength: q, family: family)) {
                    return true
                }
            }
            return false
        }
    }

    private func memberEnable<Store: RuleStore>(_ gateway: Gateway, in store: Store, sets: any IPSetStore, intent: ChangeIntentWriter) throws -> Report? {
        let family = gateway.family
        guard gateway.fitsIPSets, let length = SubnetIndex.prefixLength(of: gateway.subnet),
              let datapath = try MemberDatapath.read(store, sets: sets, family: family, compiler: compiler)
        else { return nil }
        let filterShape = GatewayShape(filterOf: gateway)
        let natShape = GatewayShape(natOf: gateway)
        // Both shapes in place; no subnet of another length than those in use, and none longer
        // (a subnet inside this one would take a lookup per possible network).
        guard datapath.shapes[.filter]?.contains(filterShape) == true, datapath.shapes[.nat]?.contains(natShape) == true,
              datapath.lengths.last == length
        else { return nil }
        let index = SubnetIndex.setName(prefixLength: length, family: family)
        // A gateway of a subnet holding this one: the full path refuses it, in its words.
        guard try !datapath.shorterHolds(gateway.subnet, length: length, sets: sets) else { return nil }
        let uplink = NetIfaceMember(network: gateway.subnet, interface: gateway.uplink)
        var members = [(index, SubnetIndex.member(gateway.subnet)), (natShape.setName, uplink), (filterShape.setName, uplink)]
        if let viaSet = filterShape.viaSetName, let via = gateway.via { members.append((viaSet, NetIfaceMember(network: gateway.subnet, interface: via))) }

        if try sets.contains(SubnetIndex.member(gateway.subnet), in: index) {
            // The subnet is taken: by this very gateway, or it is a conflict or a change of options,
            // which the full path says and makes.
            for (name, member) in members.dropFirst() where try !sets.contains(member, in: name) { return nil }
            let forwarding = try forwardingAfterMembers(family, gateway: gateway) {}
            try intent.finish()
            let changed = forwarding.contains(where: \.changedValue)
            return memberReport(
                changed ? .changed : .unchanged,
                changed ? "Enabled gateway \(gateway)." : "Gateway \(gateway.key) is already enabled as asked; nothing changed.",
                family: family, sets: sets, lines: [], forwarding: forwarding, changes: GatewayChanges())
        }

        let before = Dictionary(uniqueKeysWithValues: members.map { ($0.0, IPSetContents(name: $0.0, family: family)) })
        let after = Dictionary(uniqueKeysWithValues: members.map { ($0.0, IPSetContents(name: $0.0, family: family, members: [$0.1])) })
        let changes = try changeMembers(family, from: before, to: after, sets: sets, intent: intent)
        let forwarding = try forwardingAfterMembers(family, gateway: gateway) {
            try undoMembers(family, changes, sets: sets)
        }
        try intent.finish()
        var report = memberReport(.changed, "Enabled gateway \(gateway).", family: family, sets: sets, lines: changes.lines, forwarding: forwarding,
            changes: GatewayChanges(added: 1))
        // As on the full path: what nf_tables does to the gateway just made is reported with it.
        report.changedGateways = [gateway]
        return report
    }

    private func memberDisable<Store: RuleStore>(_ key: Gateway.Key, in store: Store, sets: any IPSetStore, intent: ChangeIntentWriter) throws -> Report? {
        let family = key.subnet.family
        guard let length = SubnetIndex.prefixLength(of: key.subnet), let datapath = try MemberDatapath.read(store, sets: sets, family: family, compiler: compiler),
              datapath.lengths.contains(length)
        else { return nil }
        let index = SubnetIndex.setName(prefixLength: length, family: family)
        // The subnet is a gateway's, and no shorter one holds it (the lookups below are exact).
        guard try sets.contains(SubnetIndex.member(key.subnet), in: index), try !datapath.shorterHolds(key.subnet, length: length, sets: sets) else { return nil }
        let uplink = NetIfaceMember(network: key.subnet, interface: key.uplink)
        let filter = try (datapath.shapes[.filter] ?? []).filter { try sets.contains(uplink, in: $0.setName) }
        let nat = try (datapath.shapes[.nat] ?? []).filter { try sets.contains(uplink, in: $0.setName) }
        // One gateway of a filter shape without --via (its via member would have to be listed to be
        // found) and one nat shape, neither of which it is the last of; nor the last of its length.
        guard filter.count == 1, nat.count == 1, filter[0].viaSetName == nil,
              [filter[0].setName, nat[0].setName, index].allSatisfy({ (datapath.summaries[$0]?.count ?? 0) > 1 })
        else { return nil }
        let members = [(index, SubnetIndex.member(key.subnet)), (nat[0].setName, uplink), (filter[0].setName, uplink)]
        let before = Dictionary(uniqueKeysWithValues: members.map { ($0.0, IPSetContents(name: $0.0, family: family, members: [$0.1])) })
        let after = Dictionary(uniqueKeysWithValues: members.map { ($0.0, IPSetContents(name: $0.0, family: family)) })
        let changes = try changeMembers(family, from: before, to: after, sets: sets, intent: intent)
        // The family keeps gateways (this was not the last of its shapes): forwarding stays on.
        let remaining = try GatewaySet([Gateway(subnet: key.subnet, uplink: key.uplink)])
        let forwarding = try forwardingAfterMembers(family, gateways: remaining) {
            try undoMembers(family, changes, sets: sets)
        }
        try intent.finish()
        return memberReport(.changed, "Disabled gateway \(key).", family: family, sets: sets, lines: changes.lines, forwarding: forwarding,
            changes: GatewayChanges(removed: 1))
    }

    /// Records the change, then makes the member changes in the full path's order
    /// (`SetChanges`: index and nat members in first, filter members out first). A failure puts
    /// back what was made; when that fails too, the record stays for the next change to complete.
    private func changeMembers(
        _ family: Family, from before: [String: IPSetContents], to after: [String: IPSetContents], sets: any IPSetStore, intent: ChangeIntentWriter
    ) throws -> SetChanges {
        let changes = SetChanges(family: family, before: before, after: after)
        try intent.begin()
        do {
            try changes.prepare(sets)
            _ = try changes.complete(sets)
        } catch {
            try undoMembers(family, changes, sets: sets, after: error)
            throw error
        }
        logger.debug("\(family): changed set members alone")
        return changes
    }

    /// Puts the members `changes` made back, in the safe order.
    private func undoMembers(_ family: Family, _ changes: SetChanges, sets: any IPSetStore, after failure: (any Error)? = nil) throws {
        do {
            let back = SetChanges(family: family, before: changes.after, after: changes.before)
            try back.prepare(sets)
            _ = try back.complete(sets)
        } catch let undo {
            logger.critical("could not put the \(family) ip set members back after a failure: \(undo)")
            throw UnfinishedChange(family: family, failure: failure ?? undo, undo: undo)
        }
    }

    /// Forwarding as the full path leaves it when `family` has gateways; when that fails, `undo`
    /// puts the members back before the error is thrown.
    private func forwardingAfterMembers(_ family: Family, gateway: Gateway, undo: () throws -> Void) throws -> [ForwardingChange] {
        try forwardingAfterMembers(family, gateways: try GatewaySet([gateway]), undo: undo)
    }

    private func forwardingAfterMembers(_ family: Family, gateways: GatewaySet, undo: () throws -> Void) throws -> [ForwardingChange] {
        do {
            return try adjustForwarding(family, gateways: gateways)
        } catch {
            logger.error("forwarding failed, putting the \(family) gateways back: \(error)")
            try undo()
            throw error
        }
    }

    /// The report the full path would give, with the gateways read back when first asked for.
    private func memberReport(
        _ outcome: Report.Outcome, _ message: String, family: Family, sets: any IPSetStore, lines: [String], forwarding: [ForwardingChange],
        changes: GatewayChanges
    ) -> Report {
        logger.info("\(message)")
        let plan = LazyPlan { Plan(tables: [], sets: lines.isEmpty ? [] : [Plan.SetChange(family: family, lines: lines)]) }
        let gateways = LazyValue { [store, compiler, logger] () -> [Gateway] in
            do {
                let tables = try store.read(family, tables: OwnedChains.tables)
                let read = compiler.read(family: family, filter: tables[.filter], nat: tables[.nat], sets: try Self.familySets(sets, family), comparingChains: false)
                return GatewaySet(lenient: read.gateways).gateways
            } catch {
                logger.error("could not read the \(family) gateways back for the report: \(error)")
                return []
            }
        }
        return Report(outcome: outcome, message: message, plan: plan, forwarding: forwarding, gateways: gateways, gatewayChanges: changes)
    }
}
