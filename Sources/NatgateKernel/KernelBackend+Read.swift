import NatgateModel

extension KernelBackend {
    /// Reads `table` of this backend's family from the kernel.
    ///
    /// Chains come in iptables-save order (built-ins in hook order, then user chains by name),
    /// built-ins with their policy and counters, every rule with its counters. Matches and targets
    /// with a codec are typed; others are `UnknownMatch`/`UnknownTarget` carrying their kernel bytes.
    /// Reading takes no lock, as `iptables-legacy-save` takes none: the snapshot is consistent.
    ///
    /// Equivalent to: `iptables-legacy-save -c -t TABLE` (or `ip6tables-legacy-save`).
    /// - Throws: `KernelError`.
    public func read(_ table: TableName) throws -> Table {
        try namespace.run {
            switch family {
            case .ipv4: try decodeTable(IPv4TableHandle(table))
            case .ipv6: try decodeTable(IPv6TableHandle(table))
            }
        }
    }

    /// Reads several tables; see `read(_:)`.
    public func read(_ tables: [TableName]) throws -> [Table] {
        try namespace.run {
            try tables.map { table throws -> Table in
                switch family {
                case .ipv4: try decodeTable(IPv4TableHandle(table))
                case .ipv6: try decodeTable(IPv6TableHandle(table))
                }
            }
        }
    }

    /// Reads `table` as `read(_:)` does, except for the rules of `entryChain`: that chain is in
    /// the model without rules, and its rules come back as kernel entries (empty when the table
    /// has no such chain). What `update(tables:entryChains:_:)` hands its closure.
    package func read(_ table: TableName, entryChain: ChainName) throws -> (table: Table, entries: EntryList) {
        try namespace.run {
            switch family {
            case .ipv4: try decodeTable(IPv4TableHandle(table), entryChain: entryChain)
            case .ipv6: try decodeTable(IPv6TableHandle(table), entryChain: entryChain)
            }
        }
    }

    /// The model of the table a handle holds.
    func decodeTable<C>(_ handle: borrowing TableHandle<C>) throws(KernelError) -> Table {
        try decodeTable(handle, entryChain: nil).table
    }

    /// The model of the table a handle holds, except for the rules of `entryChain`: that chain is
    /// in the model without rules, and its rules come back as entries (empty when the table has
    /// no such chain).
    func decodeTable<C>(_ handle: borrowing TableHandle<C>, entryChain: ChainName?) throws(KernelError) -> (table: Table, entries: EntryList) {
        let (table, lists) = try decodeTable(handle, entryChains: entryChain.map { .named([$0]) })
        return (table, entryChain.flatMap { lists[$0] } ?? EntryList(family: C.family))
    }

    /// The model of the table a handle holds, except for the rules of the chains `entryChains`
    /// selects: those chains are in the model without rules, and their rules come back as
    /// entries, one list for each such chain the table has.
    func decodeTable<C>(_ handle: borrowing TableHandle<C>, entryChains: EntryChainSelection?) throws(KernelError) -> (table: Table, entries: [ChainName: EntryList]) {
        var lists: [ChainName: EntryList] = [:]
        let decoder = EntryDecoder(family: C.family, codecs: codecs, logger: logger)
        let layout = EntryLayout.of(C.family)
        var chains: [Chain] = []
        for name in handle.chainNames {
            let chainName: ChainName
            do { chainName = try ChainName(name) } catch {
                throw KernelError(.malformedEntry,
                    "The \(handle.table) table has a chain named \(ModelError.quote(name)), which natgate cannot represent (\(error)). Rename it with iptables-legacy -E.",
                    operation: handle.operation(name))
            }
            var chain = Chain(name: chainName)
            if let policy = handle.policy(name) {
                chain.policy = Policy(rawValue: policy.name) ?? .accept
                chain.counters = Counters(packets: policy.counters.pcnt, bytes: policy.counters.bcnt)
            }
            if let entryChains, entryChains.contains(chainName) {
                // Sized first: growing a buffer of megabytes step by step costs more than the copy.
                var entries = EntryList(family: C.family)
                var count = 0
                var size = 0
                handle.forEachEntry(name) { pointer in
                    count += 1
                    size += Int(pointer.loadUnaligned(fromByteOffset: layout.nextOffset, as: UInt16.self))
                }
                entries.reserveCapacity(entries: count, bytes: size)
                handle.forEachEntry(name) { pointer in entries.append(copying: pointer, layout: layout, targetLabel: handle.targetLabel(pointer)) }
                lists[chainName] = entries
                chains.append(chain)
                continue
            }
            try handle.forEachEntry(name) { (pointer) throws(KernelError) in
                let bytes = KernelBackend.copyEntry(pointer, layout: layout)
                do throws(KernelError) {
                    chain.rules.append(try decoder.decode(bytes, targetLabel: handle.targetLabel(pointer), table: handle.table, chain: name))
                } catch {
                    var error = error
                    error.operation.rulePosition = chain.rules.count + 1
                    throw error
                }
            }
            chains.append(chain)
        }
        return (Table(name: handle.table, family: C.family, chains: chains).canonicallyOrdered, lists)
    }
}

extension KernelBackend {
    /// The tables of this family the kernel has set up in the namespace, in the order
    /// `iptables-legacy-save` prints them (that of `/proc/net/ip_tables_names`).
    /// - Throws: `KernelError` of kind `.noLegacyTables` when the kernel has no legacy x_tables,
    ///   `.permissionDenied` when the list cannot be read (not root): never an empty list then.
    public func tablesInUse() throws -> [TableName] {
        try namespace.run { () throws -> [TableName] in
            guard let names = try LegacyTables.tablesInUse(family) else {
                throw KernelError(.noLegacyTables, LegacyTables.missingMessage(family), operation: .init(family: family))
            }
            return names.compactMap(TableName.init(rawValue:))
        }
    }
}
