import CNFTables
import Glibc

extension NFTExpression {
    /// A libnftnl expression with this expression's attributes, for `nftnl_rule_add_expr` (which
    /// takes ownership). The inverse of `init(decoding:)`; each attribute becomes the netlink
    /// attribute of the same name (`NFTA_CMP_SREG`, `NFTA_CMP_OP`, `NFTA_CMP_DATA`, …).
    func build() throws(NFTError) -> OpaquePointer {
        guard let expression = nftnl_expr_alloc(name) else {
            throw NFTError(.system, "libnftnl has no expression '\(name)'.", operation: .init(call: "nftnl_expr_alloc"))
        }
        func u32(_ attribute: Int, _ value: UInt32) { nftnl_expr_set_u32(expression, UInt16(attribute), value) }
        func bytes(_ attribute: Int, _ value: [UInt8]) {
            value.withUnsafeBytes { _ = nftnl_expr_set(expression, UInt16(attribute), $0.baseAddress, UInt32($0.count)) }
        }
        // libnftnl keeps (and later frees) the pointer it gets for a match's or target's info
        // instead of copying the bytes: hand it a malloc'd copy.
        func owned(_ attribute: Int, _ value: [UInt8]) throws(NFTError) {
            guard let copy = malloc(max(value.count, 1)) else {
                nftnl_expr_free(expression)
                throw NFTError(.system, "Out of memory.", operation: .init(call: "malloc"))
            }
            value.withUnsafeBytes { if let base = $0.baseAddress { copy.copyMemory(from: base, byteCount: $0.count) } }
            _ = nftnl_expr_set(expression, UInt16(attribute), copy, UInt32(value.count))
        }
        func text(_ attribute: Int, _ value: String) { _ = nftnl_expr_set_str(expression, UInt16(attribute), value) }
        switch self {
        case .meta(let key, let register, let isLoad):
            u32(Int(NFTNL_EXPR_META_KEY), key.rawValue)
            u32(Int(isLoad ? NFTNL_EXPR_META_DREG : NFTNL_EXPR_META_SREG), register)
        case .cmp(let register, let op, let data):
            u32(Int(NFTNL_EXPR_CMP_SREG), register)
            u32(Int(NFTNL_EXPR_CMP_OP), op.rawValue)
            bytes(Int(NFTNL_EXPR_CMP_DATA), data)
        case .payload(let base, let offset, let length, let register, let isLoad):
            u32(Int(NFTNL_EXPR_PAYLOAD_BASE), base.rawValue)
            u32(Int(NFTNL_EXPR_PAYLOAD_OFFSET), offset)
            u32(Int(NFTNL_EXPR_PAYLOAD_LEN), length)
            u32(Int(isLoad ? NFTNL_EXPR_PAYLOAD_DREG : NFTNL_EXPR_PAYLOAD_SREG), register)
        case .bitwise(let source, let destination, let length, let mask, let xor):
            u32(Int(NFTNL_EXPR_BITWISE_SREG), source)
            u32(Int(NFTNL_EXPR_BITWISE_DREG), destination)
            u32(Int(NFTNL_EXPR_BITWISE_LEN), length)
            bytes(Int(NFTNL_EXPR_BITWISE_MASK), mask)
            bytes(Int(NFTNL_EXPR_BITWISE_XOR), xor)
        case .range(let register, let op, let from, let to):
            u32(Int(NFTNL_EXPR_RANGE_SREG), register)
            u32(Int(NFTNL_EXPR_RANGE_OP), op.rawValue)
            bytes(Int(NFTNL_EXPR_RANGE_FROM_DATA), from)
            bytes(Int(NFTNL_EXPR_RANGE_TO_DATA), to)
        case .immediate(let register, let value):
            u32(Int(NFTNL_EXPR_IMM_DREG), register)
            switch value {
            case .verdict(let verdict):
                u32(Int(NFTNL_EXPR_IMM_VERDICT), UInt32(bitPattern: verdict.code))
                switch verdict {
                case .jump(let chain), .goto(let chain): text(Int(NFTNL_EXPR_IMM_CHAIN), chain)
                default: break
                }
            case .data(let data): bytes(Int(NFTNL_EXPR_IMM_DATA), data)
            }
        case .counter(let packets, let count):
            nftnl_expr_set_u64(expression, UInt16(NFTNL_EXPR_CTR_PACKETS), packets)
            nftnl_expr_set_u64(expression, UInt16(NFTNL_EXPR_CTR_BYTES), count)
        case .match(let name, let revision, let info):
            text(Int(NFTNL_EXPR_MT_NAME), name)
            u32(Int(NFTNL_EXPR_MT_REV), revision)
            try owned(Int(NFTNL_EXPR_MT_INFO), info)
        case .target(let name, let revision, let info):
            text(Int(NFTNL_EXPR_TG_NAME), name)
            u32(Int(NFTNL_EXPR_TG_REV), revision)
            try owned(Int(NFTNL_EXPR_TG_INFO), info)
        case .limit(let rate, let unit, let burst, let type, let flags):
            nftnl_expr_set_u64(expression, UInt16(NFTNL_EXPR_LIMIT_RATE), rate)
            nftnl_expr_set_u64(expression, UInt16(NFTNL_EXPR_LIMIT_UNIT), unit)
            u32(Int(NFTNL_EXPR_LIMIT_BURST), burst)
            u32(Int(NFTNL_EXPR_LIMIT_TYPE), type)
            u32(Int(NFTNL_EXPR_LIMIT_FLAGS), flags)
        case .ct, .lookup, .nat, .masquerade, .redirect, .reject, .other:
            nftnl_expr_free(expression)
            throw NFTError(.refused, "natgate does not write '\(self)' expressions: iptables-nft never writes them into its tables.")
        }
        return expression
    }
}

extension NFTVerdict {
    /// The kernel's verdict code (`NF_*` or `NFT_*`), the inverse of `init(code:chain:)`.
    public var code: Int32 {
        switch self {
        case .drop: 0
        case .accept: 1
        case .stolen: 2
        case .queue: 3
        case .repeat_: 4
        case .continue: -1
        case .break: -2
        case .jump: -3
        case .goto: -4
        case .return: -5
        case .other(let code): code
        }
    }
}
