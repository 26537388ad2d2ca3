import CNFTables
import Glibc
import Synchronization

extension NFTRuleset {
    /// Reads the nf_tables ruleset (tables, chains, rules) of the network namespace the calling
    /// thread is in, over netlink. To read another namespace, call it from a thread inside that
    /// namespace (NatgateKernel's `NetworkNamespace.run`).
    ///
    /// The generation id is read before and after the dumps; when another program committed a
    /// change in between, the read starts again (up to 10 times), so the result is one generation.
    ///
    /// Equivalent to `nft list ruleset`. Needs CAP_NET_ADMIN in the namespace.
    public static func read() throws(NFTError) -> NFTRuleset {
        try atOneGeneration(of: "it") { (socket: borrowing NetfilterSocket) throws(NFTError) -> NFTRuleset in
            let tables = try dump(socket, message: NFT_MSG_GETTABLE, name: "NFT_MSG_GETTABLE")
                .decoded(decodeTable)
            let chains = try dump(socket, message: NFT_MSG_GETCHAIN, name: "NFT_MSG_GETCHAIN")
                .decoded(decodeChain)
            let rules = try dump(socket, message: NFT_MSG_GETRULE, name: "NFT_MSG_GETRULE")
                .decoded(decodeRule)
            return NFTRuleset(tables: tables, chains: chains, rules: rules, sets: try setsWithElements(socket))
        }
    }

    /// Runs `dumps` between two reads of the generation id and returns what it read at that
    /// generation; when another program committed in between, `dumps` runs again, up to 10 times,
    /// then the read fails saying natgate could not read `what` (one word or phrase: "it", "the
    /// ip tables") at one generation.
    static func atOneGeneration(
        of what: String, _ dumps: (borrowing NetfilterSocket) throws(NFTError) -> NFTRuleset
    ) throws(NFTError) -> NFTRuleset {
        let socket = try NetfilterSocket()
        for _ in 0..<10 {
            let before = try fetchGeneration(of: socket)
            var ruleset = try dumps(socket)
            if try fetchGeneration(of: socket) == before {
                ruleset.generation = before
                return ruleset
            }
        }
        throw NFTError(.rulesetChanged,
            "Another program kept changing the nftables ruleset while natgate read \(what) (10 tries). Run the command again.",
            operation: .init(request: "NFT_MSG_GETGEN"))
    }

    /// Every set of every family, with its elements.
    static func setsWithElements(_ socket: borrowing NetfilterSocket) throws(NFTError) -> [NFTSet] {
        var sets = try dump(socket, message: NFT_MSG_GETSET, name: "NFT_MSG_GETSET")
            .decoded(decodeSet)
        for index in sets.indices { sets[index].elements = try elements(of: sets[index], socket) }
        return sets
    }

    /// The rules of `table` (of `family`), or of its chain `chain` alone: one dump the kernel
    /// filters by table (`NFTA_RULE_TABLE`) and chain (`NFTA_RULE_CHAIN`).
    static func rules(
        _ socket: borrowing NetfilterSocket, family: UInt16, table: String, chain: String? = nil
    ) throws(NFTError) -> [NFTRule] {
        guard let filter = nftnl_rule_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_rule_alloc")) }
        defer { nftnl_rule_free(filter) }
        nftnl_rule_set_str(filter, UInt16(NFTNL_RULE_TABLE.rawValue), table)
        if let chain { nftnl_rule_set_str(filter, UInt16(NFTNL_RULE_CHAIN.rawValue), chain) }
        return try request(
            socket, message: NFT_MSG_GETRULE, name: "NFT_MSG_GETRULE", dump: true, family: family,
            payload: { nftnl_rule_nlmsg_build_payload($0, filter) }
        ).decoded(decodeRule)
    }

    /// Reads the ruleset's generation id alone: cheap, to see whether anything changed.
    ///
    /// Equivalent to the `# generation` line of `nft monitor`.
    public static func readGeneration() throws(NFTError) -> UInt32 {
        try fetchGeneration(of: NetfilterSocket())
    }
}

private let sequenceCounter = Atomic<UInt32>(UInt32(truncatingIfNeeded: time(nil)))

/// The first of `count` consecutive sequence numbers, reserved for one request or batch.
func nextSequence(count: UInt32) -> UInt32 {
    sequenceCounter.wrappingAdd(count, ordering: .relaxed).newValue &- count &+ 1
}

/// Sends one `NFT_MSG_GET*` request (a dump when `dump`) for `family` (all when unspecified), with
/// the attributes `payload` adds, and collects the answer's data messages.
func request(
    _ socket: borrowing NetfilterSocket, message: nf_tables_msg_types, name: String, dump: Bool,
    family: UInt16 = UInt16(NFPROTO_UNSPEC), payload: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in }
) throws(NFTError) -> [[UInt8]] {
    let sequence = sequenceCounter.wrappingAdd(1, ordering: .relaxed).newValue
    let requestName = dump ? "\(name) dump" : name
    let header = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    defer { header.deallocate() }
    header.initializeMemory(as: UInt8.self, repeating: 0)
    // NLM_F_DUMP is NLM_F_ROOT | NLM_F_MATCH, a macro expression Swift does not import. A plain
    // request asks for an acknowledgement, so that the answer ends the same way a dump does.
    let flags = dump ? UInt16(NLM_F_ROOT | NLM_F_MATCH) : UInt16(NLM_F_ACK)
    guard let built = nftnl_nlmsg_build_hdr(
        header.baseAddress!.assumingMemoryBound(to: CChar.self), UInt16(message.rawValue), family, flags, sequence)
    else {
        throw NFTError(.system, "Could not build the netlink request.", operation: .init(call: "nftnl_nlmsg_build_hdr", request: requestName))
    }
    payload(built)
    try socket.send(built, request: requestName)
    let collector = MessageCollector()
    // The kernel fills a dump datagram up to the reader's buffer size, at most 32 KiB.
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { datagram.deallocate() }
    var more = true
    while more {
        let count = try socket.receive(into: datagram, request: requestName)
        more = try runCallbacks(
            UnsafeRawBufferPointer(rebasing: datagram[0..<count]), sequence: sequence, portID: socket.portID,
            collector: collector, request: requestName)
    }
    return collector.messages
}

func dump(_ socket: borrowing NetfilterSocket, message: nf_tables_msg_types, name: String) throws(NFTError) -> [[UInt8]] {
    try request(socket, message: message, name: name, dump: true)
}

func fetchGeneration(of socket: borrowing NetfilterSocket) throws(NFTError) -> UInt32 {
    let messages = try request(socket, message: NFT_MSG_GETGEN, name: "NFT_MSG_GETGEN", dump: false)
    guard let message = messages.first else {
        throw NFTError(.malformedMessage, "The kernel sent no generation id.", operation: .init(request: "NFT_MSG_GETGEN"))
    }
    return try withHeader(message) { (header) throws(NFTError) in
        guard let gen = nftnl_gen_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_gen_alloc")) }
        defer { nftnl_gen_free(gen) }
        guard nftnl_gen_nlmsg_parse(header, gen) >= 0 else {
            throw NFTError(.malformedMessage, "libnftnl could not parse the kernel's generation message.", operation: .init(call: "nftnl_gen_nlmsg_parse", request: "NFT_MSG_GETGEN"))
        }
        return nftnl_gen_get_u32(gen, UInt16(NFTNL_GEN_ID))
    }
}

extension [[UInt8]] {
    /// The objects `decode` makes of these messages, leaving out those it returns nil for.
    func decoded<T>(_ decode: ([UInt8]) throws(NFTError) -> T?) throws(NFTError) -> [T] {
        var result: [T] = []
        for message in self { if let object = try decode(message) { result.append(object) } }
        return result
    }
}

/// Calls `body` with the message's bytes as a netlink header.
func withHeader<T>(_ message: [UInt8], _ body: (UnsafePointer<nlmsghdr>) throws(NFTError) -> T) throws(NFTError) -> T {
    // Array's withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
    try message.withUnsafeBytes { raw in
        // Array storage is 16-byte aligned, as a netlink header needs.
        Result { () throws(NFTError) in try body(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)) }
    }.get()
}

private func parseFailed(_ call: String, _ request: String) -> NFTError {
    NFTError(.malformedMessage, "libnftnl could not parse a message of the kernel's \(request) answer; this natgate may be older than the kernel's nf_tables.", operation: .init(call: call, request: request))
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }

/// The table in one message of an `NFT_MSG_GETTABLE` dump; nil for a family natgate has no name for.
func decodeTable(_ message: [UInt8]) throws(NFTError) -> NFTTable? {
    try withHeader(message) { (header) throws(NFTError) in
        guard let table = nftnl_table_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_table_alloc")) }
        defer { nftnl_table_free(table) }
        guard nftnl_table_nlmsg_parse(header, table) >= 0 else { throw parseFailed("nftnl_table_nlmsg_parse", "NFT_MSG_GETTABLE") }
        func attribute(_ a: nftnl_table_attr) -> UInt16 { UInt16(a.rawValue) }
        guard let family = NFTFamily(rawValue: UInt8(truncatingIfNeeded: nftnl_table_get_u32(table, attribute(NFTNL_TABLE_FAMILY)))) else { return nil }
        return NFTTable(
            family: family, name: string(nftnl_table_get_str(table, attribute(NFTNL_TABLE_NAME))) ?? "",
            handle: nftnl_table_get_u64(table, attribute(NFTNL_TABLE_HANDLE)),
            flags: nftnl_table_get_u32(table, attribute(NFTNL_TABLE_FLAGS)))
    }
}

/// The chain in one message of an `NFT_MSG_GETCHAIN` dump; nil for a family natgate has no name for.
func decodeChain(_ message: [UInt8]) throws(NFTError) -> NFTChain? {
    try withHeader(message) { (header) throws(NFTError) in
        guard let chain = nftnl_chain_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_chain_alloc")) }
        defer { nftnl_chain_free(chain) }
        guard nftnl_chain_nlmsg_parse(header, chain) >= 0 else { throw parseFailed("nftnl_chain_nlmsg_parse", "NFT_MSG_GETCHAIN") }
        func attribute(_ a: nftnl_chain_attr) -> UInt16 { UInt16(a.rawValue) }
        guard let family = NFTFamily(rawValue: UInt8(truncatingIfNeeded: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_FAMILY)))) else { return nil }
        var base: NFTChain.Base?
        if nftnl_chain_is_set(chain, attribute(NFTNL_CHAIN_HOOKNUM)) {
            let policy = nftnl_chain_is_set(chain, attribute(NFTNL_CHAIN_POLICY))
                ? NFTVerdict(code: Int32(bitPattern: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_POLICY))), chain: nil)
                : .accept
            base = NFTChain.Base(
                type: NFTChainType(string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_TYPE))) ?? "filter"),
                hook: NFTHook(number: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_HOOKNUM)), family: family),
                priority: nftnl_chain_get_s32(chain, attribute(NFTNL_CHAIN_PRIO)),
                policy: policy,
                device: nftnl_chain_is_set(chain, attribute(NFTNL_CHAIN_DEV)) ? string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_DEV))) : nil)
        }
        return NFTChain(
            family: family,
            table: string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_TABLE))) ?? "",
            name: string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_NAME))) ?? "",
            handle: nftnl_chain_get_u64(chain, attribute(NFTNL_CHAIN_HANDLE)),
            base: base)
    }
}

/// The set in one message of an `NFT_MSG_GETSET` dump, without elements; nil for a family natgate has no name for.
func decodeSet(_ message: [UInt8]) throws(NFTError) -> NFTSet? {
    try withHeader(message) { (header) throws(NFTError) in
        guard let set = nftnl_set_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_set_alloc")) }
        defer { nftnl_set_free(set) }
        guard nftnl_set_nlmsg_parse(header, set) >= 0 else { throw parseFailed("nftnl_set_nlmsg_parse", "NFT_MSG_GETSET") }
        guard let family = NFTFamily(rawValue: UInt8(truncatingIfNeeded: nftnl_set_get_u32(set, UInt16(NFTNL_SET_FAMILY.rawValue)))) else { return nil }
        return NFTSet(
            family: family, table: string(nftnl_set_get_str(set, UInt16(NFTNL_SET_TABLE.rawValue))) ?? "",
            name: string(nftnl_set_get_str(set, UInt16(NFTNL_SET_NAME.rawValue))) ?? "",
            flags: nftnl_set_get_u32(set, UInt16(NFTNL_SET_FLAGS.rawValue)), keyLength: nftnl_set_get_u32(set, UInt16(NFTNL_SET_KEY_LEN.rawValue)))
    }
}

/// The elements of one set: an `NFT_MSG_GETSETELEM` dump naming its table and set.
func elements(of set: NFTSet, _ socket: borrowing NetfilterSocket) throws(NFTError) -> [NFTSet.Element] {
    guard let request_ = nftnl_set_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_set_alloc")) }
    defer { nftnl_set_free(request_) }
    nftnl_set_set_str(request_, UInt16(NFTNL_SET_TABLE.rawValue), set.table)
    nftnl_set_set_str(request_, UInt16(NFTNL_SET_NAME.rawValue), set.name)
    let messages = try request(
        socket, message: NFT_MSG_GETSETELEM, name: "NFT_MSG_GETSETELEM", dump: true, family: UInt16(set.family.rawValue),
        payload: { nftnl_set_elems_nlmsg_build_payload($0, request_) })
    var result: [NFTSet.Element] = []
    for message in messages {
        result += try withHeader(message) { (header) throws(NFTError) in
            guard let parsed = nftnl_set_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_set_alloc")) }
            defer { nftnl_set_free(parsed) }
            guard nftnl_set_elems_nlmsg_parse(header, parsed) >= 0 else { throw parseFailed("nftnl_set_elems_nlmsg_parse", "NFT_MSG_GETSETELEM") }
            guard let iterator = nftnl_set_elems_iter_create(parsed) else { return [] }
            defer { nftnl_set_elems_iter_destroy(iterator) }
            var elements: [NFTSet.Element] = []
            // nftnl_set_elems_iter_next gives the element under the cursor, then moves on.
            while let current = nftnl_set_elems_iter_next(iterator) {
                func bytes(_ attribute: Int) -> [UInt8]? {
                    var length: UInt32 = 0
                    guard nftnl_set_elem_is_set(current, UInt16(attribute)), let data = nftnl_set_elem_get(current, UInt16(attribute), &length) else { return nil }
                    return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
                }
                var verdict: NFTVerdict?
                if nftnl_set_elem_is_set(current, UInt16(NFTNL_SET_ELEM_VERDICT)) {
                    let chain = nftnl_set_elem_is_set(current, UInt16(NFTNL_SET_ELEM_CHAIN))
                        ? string(nftnl_set_elem_get_str(current, UInt16(NFTNL_SET_ELEM_CHAIN))) : nil
                    verdict = NFTVerdict(code: Int32(bitPattern: nftnl_set_elem_get_u32(current, UInt16(NFTNL_SET_ELEM_VERDICT))), chain: chain)
                }
                elements.append(NFTSet.Element(
                    key: bytes(Int(NFTNL_SET_ELEM_KEY)) ?? [], keyEnd: bytes(Int(NFTNL_SET_ELEM_KEY_END)),
                    flags: nftnl_set_elem_is_set(current, UInt16(NFTNL_SET_ELEM_FLAGS)) ? nftnl_set_elem_get_u32(current, UInt16(NFTNL_SET_ELEM_FLAGS)) : 0,
                    verdict: verdict))
            }
            return elements
        }
    }
    return result
}

/// The rule in one message of an `NFT_MSG_GETRULE` dump; nil for a family natgate has no name for.
func decodeRule(_ message: [UInt8]) throws(NFTError) -> NFTRule? {
    try withHeader(message) { (header) throws(NFTError) in
        guard let rule = nftnl_rule_alloc() else { throw NFTError(.system, "Out of memory.", operation: .init(call: "nftnl_rule_alloc")) }
        defer { nftnl_rule_free(rule) }
        guard nftnl_rule_nlmsg_parse(header, rule) >= 0 else { throw parseFailed("nftnl_rule_nlmsg_parse", "NFT_MSG_GETRULE") }
        func attribute(_ a: nftnl_rule_attr) -> UInt16 { UInt16(a.rawValue) }
        guard let family = NFTFamily(rawValue: UInt8(truncatingIfNeeded: nftnl_rule_get_u32(rule, attribute(NFTNL_RULE_FAMILY)))) else { return nil }
        var expressions: [NFTExpression] = []
        if let iterator = nftnl_expr_iter_create(rule) {
            defer { nftnl_expr_iter_destroy(iterator) }
            while let expression = nftnl_expr_iter_next(iterator) {
                expressions.append(NFTExpression(decoding: expression))
            }
        }
        return NFTRule(
            family: family,
            table: string(nftnl_rule_get_str(rule, attribute(NFTNL_RULE_TABLE))) ?? "",
            chain: string(nftnl_rule_get_str(rule, attribute(NFTNL_RULE_CHAIN))) ?? "",
            handle: nftnl_rule_get_u64(rule, attribute(NFTNL_RULE_HANDLE)),
            expressions: expressions,
            compat: nftnl_rule_is_set(rule, attribute(NFTNL_RULE_COMPAT_PROTO))
                ? NFTRule.Compat(
                    ipProtocol: nftnl_rule_get_u32(rule, attribute(NFTNL_RULE_COMPAT_PROTO)),
                    flags: nftnl_rule_get_u32(rule, attribute(NFTNL_RULE_COMPAT_FLAGS)))
                : nil,
            userData: userData(of: rule))
    }
}

/// The rule's `NFTA_RULE_USERDATA` bytes, if it has them.
private func userData(of rule: OpaquePointer) -> [UInt8]? {
    var length: UInt32 = 0
    guard nftnl_rule_is_set(rule, UInt16(NFTNL_RULE_USERDATA.rawValue)),
        let data = nftnl_rule_get_data(rule, UInt16(NFTNL_RULE_USERDATA.rawValue), &length)
    else { return nil }
    return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
}
