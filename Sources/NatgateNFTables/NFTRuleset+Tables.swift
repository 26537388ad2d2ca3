import CNFTables

extension NFTRuleset {
    /// Reads the tables and chains of one `family` (every family when nil), and the rules of the tables named in
    /// `rulesOf` only, as one generation (the generation id is read before and after, and the
    /// read starts again, up to 10 times, when another program committed in between). Sets are
    /// not read.
    ///
    /// What a backend writing iptables-nft's tables needs: `ip filter` and `ip nat`, not the rest
    /// of the host's ruleset (firewalld's or Docker's own tables, other families, set elements).
    /// The kernel filters the rule dump by table (`NFTA_RULE_TABLE`); tables and chains are small.
    ///
    /// Equivalent to `nft list table ip filter` for each table. Call it on a thread in the
    /// network namespace to read; needs CAP_NET_ADMIN there.
    public static func read(family: NFTFamily?, rulesOf tables: [String]) throws(NFTError) -> NFTRuleset {
        let familyNumber = UInt16(family?.rawValue ?? UInt8(NFPROTO_UNSPEC))
        return try atOneGeneration(of: "the \(family.map { "\($0)" } ?? "") tables") { (socket: borrowing NetfilterSocket) throws(NFTError) -> NFTRuleset in
            let allTables = try request(socket, message: NFT_MSG_GETTABLE, name: "NFT_MSG_GETTABLE", dump: true, family: familyNumber)
                .decoded(decodeTable)
            let chains = try request(socket, message: NFT_MSG_GETCHAIN, name: "NFT_MSG_GETCHAIN", dump: true, family: familyNumber)
                .decoded(decodeChain)
            var rules: [NFTRule] = []
            for table in allTables where tables.contains(table.name) {
                rules += try Self.rules(socket, family: familyNumber, table: table.name)
            }
            return NFTRuleset(tables: allTables, chains: chains, rules: rules)
        }
    }

    /// The whole ruleset, as `read()` reads it (sets with their elements included), but without
    /// the rules of the chains `skip` names: a table none of whose chains is skipped is dumped in
    /// one request filtered by table, the other tables chain by chain (`NFTA_RULE_CHAIN`).
    ///
    /// For a reader that knows what some chains hold (natgate's own, on the nft backend): the
    /// kernel resumes a rule dump by walking the table from its start, so dumping a chain of tens
    /// of thousands of rules costs far more than the rules themselves.
    public static func read(skippingRulesOf skip: (NFTChain) -> Bool) throws(NFTError) -> NFTRuleset {
        let unspecified = UInt16(NFPROTO_UNSPEC)
        return try atOneGeneration(of: "it") { (socket: borrowing NetfilterSocket) throws(NFTError) -> NFTRuleset in
            let tables = try request(socket, message: NFT_MSG_GETTABLE, name: "NFT_MSG_GETTABLE", dump: true, family: unspecified)
                .decoded(decodeTable)
            let chains = try request(socket, message: NFT_MSG_GETCHAIN, name: "NFT_MSG_GETCHAIN", dump: true, family: unspecified)
                .decoded(decodeChain)
            var rules: [NFTRule] = []
            for table in tables {
                let own = chains.filter { $0.family == table.family && $0.table == table.name }
                let family = UInt16(table.family.rawValue)
                if !own.contains(where: skip) {
                    rules += try Self.rules(socket, family: family, table: table.name)
                } else {
                    for chain in own where !skip(chain) {
                        rules += try Self.rules(socket, family: family, table: table.name, chain: chain.name)
                    }
                }
            }
            return NFTRuleset(tables: tables, chains: chains, rules: rules, sets: try setsWithElements(socket))
        }
    }
}
