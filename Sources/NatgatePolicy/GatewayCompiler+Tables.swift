import NatgateModel

extension GatewayCompiler {
    /// Rewrites what natgate owns in `table` so that it holds exactly `set`'s gateways of the
    /// table's family, and touches nothing else.
    ///
    /// With gateways of the family, the owned chain holds their rules (counters of rules that stay
    /// are kept) and the built-in chain has exactly one jump to it, at its top; a jump that is
    /// already there alone stays where it is. Without any, the jump and the owned chain are removed,
    /// so the table is as it was before natgate came. Tables natgate does not write are left as they
    /// are. Calling it again with the same set changes nothing.
    ///
    /// - Parameters:
    ///   - set: the gateways the table's owned chain should hold.
    ///   - table: the table to change: filter or nat of the set's family.
    ///   - keepingCounters: false leaves counters off the new rules, for a kernel backend that
    ///     keeps the counters of rules that did not change by itself.
    ///   - kept: rules that determine no gateway (`GatewayReadback.kept`) and stay as they are,
    ///     each after the gateway it is anchored to.
    /// - Throws: `PolicyError` (`.foreignReference`) when the owned chain must go but a rule natgate
    ///   does not own still jumps to it.
    public func install(_ set: GatewaySet, into table: inout Table, keepingCounters: Bool = true, keeping kept: [KeptRule] = []) throws {
        try install(set, into: &table, keepingCounters: keepingCounters, keeping: kept, layout: nil)
    }

    /// `install` with the set's layout already made (`layout(_:)`, for the `.ipSets` datapath).
    package func install(_ set: GatewaySet, into table: inout Table, keepingCounters: Bool, keeping kept: [KeptRule], layout: SetLayout?) throws {
        guard let owned = OwnedChains.owned(in: table.name) else { return }
        let expected = layout.map { chainRules(for: $0, family: table.family, table: table.name, kept: kept) }
            ?? chainRules(for: set, family: table.family, table: table.name, kept: kept)
        try installChain(present: !expected.isEmpty, into: &table)
        guard !expected.isEmpty, var chain = table.chain(named: owned) else { return }
        chain.rules = keepingCounters ? GatewayCompiler.keepingCounters(of: chain.rules, in: expected) : expected
        table[chain: owned] = chain
    }

    /// The part of `install` outside the owned chain's rules: with `present`, the owned chain
    /// exists (rules it already has stay) and the built-in chain has exactly one jump to it, at
    /// its top; without, the jump and the chain are gone. For callers that write the chain's
    /// rules themselves (as kernel entries).
    ///
    /// - Throws: `PolicyError` (`.foreignReference`) when the owned chain must go but a rule natgate
    ///   does not own still jumps to it.
    public func installChain(present: Bool, into table: inout Table) throws {
        guard let owned = OwnedChains.owned(in: table.name), let hook = OwnedChains.hook(in: table.name) else { return }
        if !present {
            guard table.chain(named: owned) != nil else { return }
            table[chain: hook]?.rules.removeAll { $0.target == .jump(owned) || $0.target == .goto(owned) }
            if let (chain, index) = table.references(to: owned).first {
                let remove = OwnedChains.deleteCommand(table.chain(named: chain)!.rules[index], family: table.family, table: table.name, chain: chain, variant: iptablesVariant)
                throw PolicyError(
                    .foreignReference, input: chain.rawValue,
                    "Chain \(chain) in the \(table.family.displayName) \(table.name) table has a rule that jumps to \(owned), which natgate is removing; the kernel does not delete a chain that is jumped to, and natgate never removes a rule it does not own. Nothing was changed. Delete that rule (`\(remove)`), then run the command again.")
            }
            table[chain: owned] = nil
            return
        }

        if table.chain(named: owned) == nil {
            table[chain: owned] = Chain(name: owned)
            table = table.canonicallyOrdered
        }

        if var builtin = table.chain(named: hook) {
            let jump = RuleTarget.jump(owned)
            let positions = builtin.rules.indices.filter { builtin.rules[$0].target == jump || builtin.rules[$0].target == .goto(owned) }
            let alreadyRight = positions == [0] && builtin.rules[0].withoutCounters == Rule(target: jump)
            if !alreadyRight {
                builtin.rules.removeAll { $0.target == jump || $0.target == .goto(owned) }
                builtin.rules.insert(Rule(target: jump), at: 0)
                table[chain: hook] = builtin
            }
        }
    }

    /// `expected`, each rule carrying the counters of an equal rule in `current` when there is one.
    static func keepingCounters(of current: [Rule], in expected: [Rule]) -> [Rule] {
        guard current.contains(where: { $0.counters != nil }) else { return expected }
        // Rules that stay mostly stay in place: pair equal rules at both ends by position, and only
        // the rest through a dictionary.
        var result = expected
        var head = 0
        while head < current.count, head < expected.count, current[head].withoutCounters == expected[head] {
            result[head].counters = current[head].counters
            head += 1
        }
        var tail = 0
        while tail < current.count - head, tail < expected.count - head,
            current[current.count - 1 - tail].withoutCounters == expected[expected.count - 1 - tail]
        {
            result[expected.count - 1 - tail].counters = current[current.count - 1 - tail].counters
            tail += 1
        }
        let middle = current[head..<(current.count - tail)]
        guard !middle.isEmpty, head + tail < expected.count else { return result }
        var counters: [Rule: [Counters]] = [:]
        for rule in middle {
            if let value = rule.counters { counters[rule.withoutCounters, default: []].append(value) }
        }
        for index in head..<(expected.count - tail) {
            let rule = expected[index]
            if var queue = counters[rule], !queue.isEmpty {
                result[index].counters = queue.removeFirst()
                counters[rule] = queue
            }
        }
        return result
    }
}

extension Table {
    /// The rules that jump or go to `chain`, as (chain they are in, index).
    package func references(to target: ChainName) -> [(ChainName, Int)] {
        var found: [(ChainName, Int)] = []
        for chain in chains {
            for (index, rule) in chain.rules.enumerated() where rule.target?.chain == target {
                found.append((chain.name, index))
            }
        }
        return found
    }
}
