import NatgateModel

/// Checks a table natgate is about to commit for what libiptc would let through and the kernel
/// would refuse (or worse, accept wrongly), so that the error names the rule and says what to do
/// instead of an errno from `iptc_commit`.
enum TableValidator {
    static func validate(_ table: Table, expected name: TableName, family: Family) throws(KernelError) {
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

        // Which built-in chains (hooks) reach each chain, following jumps and gotos.
        var reachedFrom: [ChainName: Set<ChainName>] = [:]
        for builtin in name.builtinChains { reachedFrom[builtin] = [builtin] }
        var changed = true
        while changed {
            changed = false
            for chain in table.chains {
                let hooks = reachedFrom[chain.name] ?? []
                if hooks.isEmpty { continue }
                for rule in chain.rules {
                    guard let destination = rule.target?.chain else { continue }
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
            for (index, rule) in chain.rules.enumerated() {
                switch rule.target {
                case .jump(let destination), .goto(let destination):
                    if name.isBuiltin(destination) {
                        throw refuse("The rule jumps to built-in chain \(destination); rules can only jump to user-defined chains.", chain: chain.name, position: index + 1)
                    }
                    guard seen.contains(destination) else {
                        throw refuse("The rule jumps to chain \(destination), which is not in the \(name) table; create the chain in the same change.", chain: chain.name, position: index + 1)
                    }
                case .extension(let target):
                    if let allowed = target.allowedTables, !allowed.contains(name) {
                        throw refuse(
                            "Target \(target.name) is not allowed in the \(name) table; the kernel accepts it only in \(allowed.sorted().map(\.rawValue).joined(separator: ", ")).",
                            chain: chain.name, position: index + 1)
                    }
                    if let allowed = target.allowedChains {
                        let hooks = reachedFrom[chain.name] ?? []
                        let bad = hooks.subtracting(allowed)
                        if !bad.isEmpty {
                            throw refuse(
                                "Target \(target.name) is not allowed in chain \(chain.name)\(name.isBuiltin(chain.name) ? "" : " (reached from \(bad.sorted().map(\.rawValue).joined(separator: ", ")))"); the kernel accepts it only from \(allowed.sorted().map(\.rawValue).joined(separator: ", ")).",
                                chain: chain.name, position: index + 1)
                        }
                    }
                case .verdict, nil:
                    break
                }
            }
        }
    }
}
