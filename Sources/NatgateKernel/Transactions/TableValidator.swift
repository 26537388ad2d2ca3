import NatgateModel

/// Checks a table natgate is about to commit for what libiptc would let through and the kernel
/// would refuse (or worse, accept wrongly), so that the error names the rule and says what to do
/// instead of an errno from `iptc_commit`.
///
/// Rules come as model rules, or as kernel entries for the chains a transaction handles as
/// entries; both get the same checks: jumps only to user chains the table has, and targets only
/// in the tables and from the hooks the kernel accepts them in.
enum TableValidator {
    static func validate(
        _ table: Table, entries: [ChainName: EntryList] = [:], expected name: TableName, family: Family, codecs: KernelCodecRegistry = .standard
    ) throws(KernelError) {
        let operation = KernelError.Operation(family: family, table: name)
        func refuse(_ message: String, chain: ChainName? = nil, position: Int? = nil) -> KernelError {
            var operation = operation
            operation.chain = chain?.rawValue
            operation.rulePosition = position
            return KernelError(.refused, message, operation: operation)
        }
        guard table.name == name else {
            throw refuse("The update put the \(table.name) table where the \(name) table belongs; change tables under their own name.")
        }
        guard table.family == family else {
            throw refuse("The update put an \(table.family) table into the \(family) backend; use a KernelBackend of family \(table.family) for it.")
        }
        var seen = Set<ChainName>()
        for chain in table.chains {
            guard seen.insert(chain.name).inserted else { throw refuse("Chain \(chain.name) appears twice in the table.", chain: chain.name) }
            if name.isBuiltin(chain.name) {
                guard chain.policy != nil else { throw refuse("Built-in chain \(chain.name) needs a policy (ACCEPT or DROP).", chain: chain.name) }
            } else if chain.policy != nil {
                throw refuse("User-defined chain \(chain.name) cannot have a policy; only built-in chains (\(name.builtinChains.map(\.rawValue).joined(separator: ", "))) have one.", chain: chain.name)
            }
        }
        for builtin in name.builtinChains where !seen.contains(builtin) {
            throw refuse("Built-in chain \(builtin) of the \(name) table cannot be removed; leave it in the table (empty if need be).", chain: builtin)
        }

        // What each chain's rules jump to and which restricted targets they use, first position
        // of each: model rules and entries alike.
        var jumps: [ChainName: [(destination: ChainName, position: Int)]] = [:]
        var restricted: [ChainName: [(target: String, tables: Set<TableName>?, chains: Set<ChainName>?, position: Int)]] = [:]
        for chain in table.chains {
            for (index, rule) in chain.rules.enumerated() {
                switch rule.target {
                case .jump(let destination), .goto(let destination):
                    jumps[chain.name, default: []].append((destination, index + 1))
                case .extension(let target):
                    if target.allowedTables != nil || target.allowedChains != nil {
                        restricted[chain.name, default: []].append((target.name, target.allowedTables, target.allowedChains, index + 1))
                    }
                case .verdict, nil:
                    break
                }
            }
            if let list = entries[chain.name] {
                try EntryTargets.scan(list, table: table, chain: chain.name, codecs: codecs, jumps: &jumps, restricted: &restricted, refuse: refuse)
            }
        }

        // Which built-in chains (hooks) reach each chain, following jumps and gotos.
        var reachedFrom: [ChainName: Set<ChainName>] = [:]
        for builtin in name.builtinChains { reachedFrom[builtin] = [builtin] }
        var changed = true
        while changed {
            changed = false
            for chain in table.chains {
                let hooks = reachedFrom[chain.name] ?? []
                if hooks.isEmpty { continue }
                for (destination, _) in jumps[chain.name] ?? [] {
                    let before = reachedFrom[destination] ?? []
                    let after = before.union(hooks)
                    if after.count != before.count {
                        reachedFrom[destination] = after
                        changed = true
                    }
                }
            }
        }

        for chain in table.chains {
            for (destination, position) in jumps[chain.name] ?? [] {
                if name.isBuiltin(destination) {
                    throw refuse("The rule jumps to built-in chain \(destination); rules can only jump to user-defined chains.", chain: chain.name, position: position)
                }
                guard seen.contains(destination) else {
                    throw refuse("The rule jumps to chain \(destination), which is not in the \(name) table; create the chain in the same change.", chain: chain.name, position: position)
                }
            }
            for use in restricted[chain.name] ?? [] {
                if let allowed = use.tables, !allowed.contains(name) {
                    throw refuse(
                        "Target \(use.target) is not allowed in the \(name) table; the kernel accepts it only in \(allowed.sorted().map(\.rawValue).joined(separator: ", ")).",
                        chain: chain.name, position: use.position)
                }
                if let allowed = use.chains {
                    let hooks = reachedFrom[chain.name] ?? []
                    let bad = hooks.subtracting(allowed)
                    if !bad.isEmpty {
                        throw refuse(
                            "Target \(use.target) is not allowed in chain \(chain.name)\(name.isBuiltin(chain.name) ? "" : " (reached from \(bad.sorted().map(\.rawValue).joined(separator: ", ")))"); the kernel accepts it only from \(allowed.sorted().map(\.rawValue).joined(separator: ", ")).",
                            chain: chain.name, position: use.position)
                    }
                }
            }
        }
    }
}

/// What the targets of one chain's entries jump to and which restricted targets they use, read
/// from the entries' bytes as libiptc reads them when it maps a target (`iptcc_map_target`): an
/// empty name or a verdict's is a verdict; a standard-sized target named after a chain of the
/// table is a jump; one named after nothing natgate has a codec for is taken for a jump too (to
/// a chain the table lacks: the kernel would refuse it as an unknown target); anything else is an
/// extension target.
enum EntryTargets {
    private enum Kind {
        case verdict
        case jump(ChainName)
        case restricted(String, Set<TableName>?, Set<ChainName>?)
        /// A jump to a name no chain can have.
        case badJump(String)
        case other
    }

    static func scan(
        _ list: EntryList, table: Table, chain: ChainName, codecs: KernelCodecRegistry,
        jumps: inout [ChainName: [(destination: ChainName, position: Int)]],
        restricted: inout [ChainName: [(target: String, tables: Set<TableName>?, chains: Set<ChainName>?, position: Int)]],
        refuse: (String, ChainName?, Int?) -> KernelError
    ) throws(KernelError) {
        guard !list.isEmpty else { return }
        let layout = EntryLayout.of(list.family)
        let chainNames = Set(table.chains.map(\.name.rawValue))
        // Keyed by the target header's first 32 bytes (size, name, revision): no string per entry.
        struct Key: Hashable { var a, b, c, d: UInt64 }
        var kinds: [Key: Kind] = [:]
        // Each destination and restricted target once, at its first position: the checks depend
        // on the chain and the target only.
        var seenJumps = Set<ChainName>()
        var seenRestricted = Set<String>()
        var failure: KernelError?
        list.bytes.withUnsafeBytes { raw in
            for index in 0..<list.count {
                let start = list.starts[index]
                let end = index + 1 < list.count ? list.starts[index + 1] : raw.count
                let targetOffset = Int(raw.loadUnaligned(fromByteOffset: start + layout.targetOffset, as: UInt16.self))
                let target = start + targetOffset
                guard target + EntryLayout.extensionHeaderSize <= end else {
                    failure = refuse("Entry \(index + 1) of chain \(chain) is malformed (its target lies outside it); this is a bug in what built the entries.", chain, index + 1)
                    return
                }
                let key = Key(
                    a: raw.loadUnaligned(fromByteOffset: target, as: UInt64.self), b: raw.loadUnaligned(fromByteOffset: target + 8, as: UInt64.self),
                    c: raw.loadUnaligned(fromByteOffset: target + 16, as: UInt64.self), d: raw.loadUnaligned(fromByteOffset: target + 24, as: UInt64.self))
                let kind: Kind
                if let known = kinds[key] {
                    kind = known
                } else {
                    let size = Int(raw.loadUnaligned(fromByteOffset: target, as: UInt16.self))
                    let revision = raw[target + 31]
                    let nameBytes = UnsafeRawBufferPointer(rebasing: raw[(target + 2)..<(target + 2 + EntryLayout.extensionNameSize)]).prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    kind = classify(name, revision: revision, standardSize: size == EntryLayout.standardTargetSize, chainNames: chainNames, family: list.family, codecs: codecs)
                    kinds[key] = kind
                }
                switch kind {
                case .verdict, .other:
                    break
                case .jump(let destination):
                    if seenJumps.insert(destination).inserted { jumps[chain, default: []].append((destination, index + 1)) }
                case .restricted(let targetName, let tables, let chains):
                    if seenRestricted.insert(targetName).inserted { restricted[chain, default: []].append((targetName, tables, chains, index + 1)) }
                case .badJump(let destination):
                    failure = refuse("The rule jumps to chain \(destination), which is not in the \(table.name) table; create the chain in the same change.", chain, index + 1)
                    return
                }
            }
        }
        if let failure { throw failure }
    }

    private static func classify(
        _ name: String, revision: UInt8, standardSize: Bool, chainNames: Set<String>, family: Family, codecs: KernelCodecRegistry
    ) -> Kind {
        if name.isEmpty || EntryList.verdictLabels.contains(where: { $0.0.dropLast().elementsEqual(name.utf8) }) { return .verdict }
        let codec = codecs.targetCodec(kernelName: name, revision: revision, family: family)
        if standardSize, revision == 0, chainNames.contains(name) || codec == nil {
            if let chain = try? ChainName(name) { return .jump(chain) }
            return .badJump(name)
        }
        if let codec, codec.allowedTables != nil || codec.allowedChains != nil {
            return .restricted(codec.name, codec.allowedTables, codec.allowedChains)
        }
        return .other
    }
}
