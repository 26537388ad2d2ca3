import CNFTables
import Glibc
import NatgateModel

/// A change to the nf_tables ruleset, buffered and sent as one netlink batch
/// (`NFNL_MSG_BATCH_BEGIN` … `NFNL_MSG_BATCH_END`), which the kernel commits as a whole or not at
/// all: when any message fails, nothing of the batch is written.
///
/// With `expectedGeneration` set, the batch begin message carries it (`NFNL_BATCH_GENID`, as
/// iptables-nft sends the generation it read its cache at); when another program committed a
/// change since, the kernel refuses the whole batch and `commit` throws `.generationMismatch`, so
/// the caller can read the ruleset again, derive its change anew and retry.
///
/// Equivalent to one `iptables-nft-restore --noflush` or `nft -f` transaction.
public struct NFTBatch: Sendable {
    /// Where `addRule` puts a rule in its chain.
    public enum Position: Hashable, Sendable {
        /// At the end (`iptables -A`).
        case append
        /// At the top (`iptables -I CHAIN 1`).
        case top
        /// Right after the rule with this handle (`nft add rule … position HANDLE`).
        case after(handle: UInt64)
    }

    /// One buffered change, in the order it is sent.
    public enum Operation: Hashable, Sendable, CustomStringConvertible {
        /// Create the table of this family and name, unless it exists.
        case addTable(NFTFamily, String)
        /// Create the chain.
        case addChain(NFTChain)
        /// Add the rule at the position.
        case addRule(NFTRule, Position)
        /// Delete the rule with this handle.
        case deleteRule(family: NFTFamily, table: String, chain: String, handle: UInt64)
        /// Deletes every rule of the chain (`iptables -F CHAIN`).
        case flushChain(family: NFTFamily, table: String, chain: String)
        /// Delete the chain, which must be empty and unreferenced.
        case deleteChain(family: NFTFamily, table: String, chain: String)

        public var description: String {
            switch self {
            case .addTable(let family, let name): "add table \(family) \(name)"
            case .addChain(let chain): "add \(chain)"
            case .addRule(let rule, let position): "add rule \(rule.family) \(rule.table) \(rule.chain) (\(position))"
            case .deleteRule(let family, let table, let chain, let handle): "delete rule \(family) \(table) \(chain) handle \(handle)"
            case .flushChain(let family, let table, let chain): "flush chain \(family) \(table) \(chain)"
            case .deleteChain(let family, let table, let chain): "delete chain \(family) \(table) \(chain)"
            }
        }
    }

    /// The buffered changes, in the order they are sent.
    public private(set) var operations: [Operation] = []
    /// The generation id the change was derived from (`NFTRuleset.generation`); nil sends none.
    public var expectedGeneration: UInt32?

    /// An empty batch, checked against `expectedGeneration` when given.
    public init(expectedGeneration: UInt32? = nil) { self.expectedGeneration = expectedGeneration }

    /// Whether the batch holds no change.
    public var isEmpty: Bool { operations.isEmpty }

    /// Creates the table, or leaves it as it is when it exists. Equivalent to `nft add table`.
    public mutating func addTable(_ family: NFTFamily, _ name: String) { operations.append(.addTable(family, name)) }

    /// Creates a chain; fails the batch (`EEXIST`) when it exists, so that a base chain's policy
    /// is never overwritten. Equivalent to `nft create chain`.
    public mutating func addChain(_ chain: NFTChain) { operations.append(.addChain(chain)) }

    /// Creates the built-in chain `chain` of `table` with the hook, priority and type
    /// iptables-nft 1.8.9 gives it, and `policy` (accept unless given). Equivalent to what
    /// `iptables-nft -A CHAIN` does when the chain is missing.
    public mutating func addBuiltinChain(_ family: NFTFamily, table: TableName, chain: ChainName, policy: NFTVerdict = .accept) throws(NFTError) {
        guard var base = NFTBatch.builtinBase(table: table, chain: chain, family: family) else {
            throw NFTError(.refused, "\(chain) is not a built-in chain of the \(table) table; create it as a user chain (addChain without a base).")
        }
        base.policy = policy
        addChain(NFTChain(family: family, table: table.rawValue, name: chain.rawValue, base: base))
    }

    /// Adds a rule (its `handle` is ignored). Equivalent to `iptables-nft -A`/`-I`.
    public mutating func addRule(_ rule: NFTRule, at position: Position = .append) { operations.append(.addRule(rule, position)) }

    /// Deletes the rule with `handle`. Equivalent to `nft delete rule … handle H`.
    public mutating func deleteRule(_ family: NFTFamily, table: String, chain: String, handle: UInt64) {
        operations.append(.deleteRule(family: family, table: table, chain: chain, handle: handle))
    }

    /// Deletes every rule of the chain. Equivalent to `nft flush chain`.
    public mutating func flushChain(_ family: NFTFamily, table: String, chain: String) {
        operations.append(.flushChain(family: family, table: table, chain: chain))
    }

    /// Deletes an empty chain nothing jumps to. Equivalent to `iptables-nft -X CHAIN`.
    public mutating func deleteChain(_ family: NFTFamily, table: String, chain: String) {
        operations.append(.deleteChain(family: family, table: table, chain: chain))
    }

    /// The hook, priority and type iptables-nft 1.8.9 registers a built-in chain with
    /// (`xtables_ipv4` in its nft.c): filter at 0, nat's PREROUTING/OUTPUT at -100 and
    /// INPUT/POSTROUTING at 100, mangle at -150 (OUTPUT of type route), raw at -300, security at 50.
    public static func builtinBase(table: TableName, chain: ChainName, family: NFTFamily) -> NFTChain.Base? {
        guard table.isBuiltin(chain) else { return nil }
        let hook: NFTHook = switch chain.rawValue {
        case "PREROUTING": .prerouting
        case "INPUT": .input
        case "FORWARD": .forward
        case "OUTPUT": .output
        default: .postrouting
        }
        let (type, priority): (NFTChainType, Int32) = switch (table, hook) {
        case (.filter, _): (.filter, 0)
        case (.nat, .prerouting), (.nat, .output): (.nat, -100)
        case (.nat, _): (.nat, 100)
        case (.mangle, .output): (.route, -150)
        case (.mangle, _): (.filter, -150)
        case (.raw, _): (.filter, -300)
        case (.security, _): (.filter, 50)
        }
        return NFTChain.Base(type: type, hook: hook, priority: priority, policy: .accept)
    }

    /// Sends the batch to the nf_tables of the calling thread's network namespace and waits for
    /// the kernel's verdict on it. An empty batch sends nothing.
    ///
    /// Throws `.generationMismatch` when `expectedGeneration` is stale, `.batchFailed` naming the
    /// first refused operation and the kernel's errno otherwise; in both cases nothing was written.
    public func commit() throws(NFTError) {
        guard !operations.isEmpty else { return }
        let socket = try NetfilterSocket()
        let first = nextSequence(count: UInt32(operations.count) + 2)
        var batch: [UInt8] = []
        batch.reserveCapacity(operations.count * 512)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        func append(_ header: UnsafeMutablePointer<nlmsghdr>) {
            batch += UnsafeRawBufferPointer(start: header, count: Int(header.pointee.nlmsg_len))
        }
        let buffer = scratch.baseAddress!.assumingMemoryBound(to: CChar.self)
        // Every builder writes whole messages (header and attributes, padding included), so the
        // scratch buffer needs no clearing between messages.
        let begin = nftnl_batch_begin(buffer, first)!
        if let generation = expectedGeneration {
            mnl_attr_put_u32(begin, UInt16(NFNL_BATCH_GENID.rawValue), generation.bigEndian)
        }
        append(begin)
        for (index, operation) in operations.enumerated() {
            try append(operation.build(into: buffer, sequence: first + 1 + UInt32(index)))
        }
        append(nftnl_batch_end(buffer, first + 1 + UInt32(operations.count))!)

        let request = "batch of \(operations.count) changes"
        try socket.ensureSendBuffer(batch.count, request: request)
        // withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
        try batch.withUnsafeBytes { raw in
            Result { () throws(NFTError) in try socket.send(raw, request: request) }
        }.get()
        // The kernel processes a batch inside sendmsg: its answer is queued by now. Only failed
        // messages are answered (none asks for an acknowledgement), so an empty queue is success.
        let answer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { answer.deallocate() }
        var failure: (sequence: UInt32, errno: Int32)?
        while let count = try socket.receiveIfQueued(into: answer, request: request) {
            var offset = 0
            while offset + 16 <= count {
                let length = Int(answer.load(fromByteOffset: offset, as: UInt32.self))
                let type = answer.load(fromByteOffset: offset + 4, as: UInt16.self)
                guard length >= 16, offset + length <= count else { break }
                if type == UInt16(NLMSG_ERROR), length >= 36 {
                    let code = -answer.load(fromByteOffset: offset + 16, as: Int32.self)
                    let sequence = answer.load(fromByteOffset: offset + 20 + 8, as: UInt32.self)
                    if code != 0, failure == nil { failure = (sequence, code) }
                }
                offset += (length + 3) & ~3
            }
        }
        guard let failure else { return }
        if failure.sequence == first {
            // ERESTART on the batch begin: the generation id is stale.
            throw NFTError(.generationMismatch,
                "Another program changed the nftables ruleset after natgate read it (generation \(expectedGeneration.map(String.init) ?? "?")); nothing was written. Read the ruleset again and retry.",
                operation: .init(call: "mnl_socket_sendto", request: "NFNL_MSG_BATCH_BEGIN"), errno: failure.errno)
        }
        let index = Int(failure.sequence) - Int(first) - 1
        let what = operations.indices.contains(index) ? operations[index].description : "message \(failure.sequence)"
        throw NFTError(.batchFailed,
            "The kernel refused '\(what)', so it wrote nothing of the batch of \(operations.count) changes.",
            operation: .init(call: "mnl_socket_sendto", request: request), errno: failure.errno)
    }
}

extension NFTBatch.Operation {
    /// The netlink message of this operation, built into `buffer` (64 KiB, zeroed).
    fileprivate func build(into buffer: UnsafeMutablePointer<CChar>, sequence: UInt32) throws(NFTError) -> UnsafeMutablePointer<nlmsghdr> {
        func header(_ type: nf_tables_msg_types, _ family: NFTFamily, _ flags: Int32) -> UnsafeMutablePointer<nlmsghdr> {
            nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), UInt16(family.rawValue), UInt16(flags), sequence)
        }
        func outOfMemory(_ call: String) -> NFTError { NFTError(.system, "Out of memory.", operation: .init(call: call)) }
        // NFT_MSG_DELRULE with a handle deletes that rule; without one, every rule of the chain.
        func deleteRules(_ family: NFTFamily, _ table: String, _ chain: String, handle: UInt64?) throws(NFTError) -> UnsafeMutablePointer<nlmsghdr> {
            guard let object = nftnl_rule_alloc() else { throw outOfMemory("nftnl_rule_alloc") }
            defer { nftnl_rule_free(object) }
            nftnl_rule_set_str(object, UInt16(NFTNL_RULE_TABLE.rawValue), table)
            nftnl_rule_set_str(object, UInt16(NFTNL_RULE_CHAIN.rawValue), chain)
            if let handle { nftnl_rule_set_u64(object, UInt16(NFTNL_RULE_HANDLE.rawValue), handle) }
            let message = header(NFT_MSG_DELRULE, family, 0)
            nftnl_rule_nlmsg_build_payload(message, object)
            return message
        }
        switch self {
        case .addTable(let family, let name):
            guard let table = nftnl_table_alloc() else { throw outOfMemory("nftnl_table_alloc") }
            defer { nftnl_table_free(table) }
            nftnl_table_set_str(table, UInt16(NFTNL_TABLE_NAME.rawValue), name)
            let message = header(NFT_MSG_NEWTABLE, family, NLM_F_CREATE)
            nftnl_table_nlmsg_build_payload(message, table)
            return message
        case .addChain(let chain):
            guard let object = nftnl_chain_alloc() else { throw outOfMemory("nftnl_chain_alloc") }
            defer { nftnl_chain_free(object) }
            nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), chain.table)
            nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), chain.name)
            if let base = chain.base {
                guard let number = base.hook.number else {
                    throw NFTError(.refused, "natgate cannot create a base chain at \(base.hook).")
                }
                nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue), number)
                nftnl_chain_set_s32(object, UInt16(NFTNL_CHAIN_PRIO.rawValue), base.priority)
                nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_POLICY.rawValue), UInt32(bitPattern: base.policy.code))
                nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TYPE.rawValue), base.type.description)
            }
            let message = header(NFT_MSG_NEWCHAIN, chain.family, NLM_F_CREATE | NLM_F_EXCL)
            nftnl_chain_nlmsg_build_payload(message, object)
            return message
        case .addRule(let rule, let position):
            guard let object = nftnl_rule_alloc() else { throw outOfMemory("nftnl_rule_alloc") }
            defer { nftnl_rule_free(object) }
            nftnl_rule_set_str(object, UInt16(NFTNL_RULE_TABLE.rawValue), rule.table)
            nftnl_rule_set_str(object, UInt16(NFTNL_RULE_CHAIN.rawValue), rule.chain)
            if let compat = rule.compat {
                nftnl_rule_set_u32(object, UInt16(NFTNL_RULE_COMPAT_PROTO.rawValue), compat.ipProtocol)
                nftnl_rule_set_u32(object, UInt16(NFTNL_RULE_COMPAT_FLAGS.rawValue), compat.flags)
            }
            if let userData = rule.userData {
                userData.withUnsafeBytes { _ = nftnl_rule_set_data(object, UInt16(NFTNL_RULE_USERDATA.rawValue), $0.baseAddress, UInt32($0.count)) }
            }
            for expression in rule.expressions { nftnl_rule_add_expr(object, try expression.build()) }
            var flags = NLM_F_CREATE
            switch position {
            case .append: flags |= NLM_F_APPEND
            case .top: break
            case .after(let handle):
                flags |= NLM_F_APPEND
                nftnl_rule_set_u64(object, UInt16(NFTNL_RULE_POSITION.rawValue), handle)
            }
            let message = header(NFT_MSG_NEWRULE, rule.family, flags)
            nftnl_rule_nlmsg_build_payload(message, object)
            guard message.pointee.nlmsg_len <= 1 << 16 else {
                throw NFTError(.refused, "The rule is \(message.pointee.nlmsg_len) bytes long as a netlink message; natgate writes rules of at most 64 KiB.")
            }
            return message
        case .deleteRule(let family, let table, let chain, let handle):
            return try deleteRules(family, table, chain, handle: handle)
        case .flushChain(let family, let table, let chain):
            return try deleteRules(family, table, chain, handle: nil)
        case .deleteChain(let family, let table, let chain):
            guard let object = nftnl_chain_alloc() else { throw outOfMemory("nftnl_chain_alloc") }
            defer { nftnl_chain_free(object) }
            nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), table)
            nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), chain)
            let message = header(NFT_MSG_DELCHAIN, family, 0)
            nftnl_chain_nlmsg_build_payload(message, object)
            return message
        }
    }
}
