import CNFTables

extension NFTExpression {
    /// The expression libnftnl parsed out of a rule message.
    init(decoding expression: OpaquePointer) {
        func isSet(_ attribute: Int) -> Bool { nftnl_expr_is_set(expression, UInt16(attribute)) }
        func u32(_ attribute: Int) -> UInt32 { nftnl_expr_get_u32(expression, UInt16(attribute)) }
        func u64(_ attribute: Int) -> UInt64 { nftnl_expr_get_u64(expression, UInt16(attribute)) }
        func text(_ attribute: Int) -> String {
            nftnl_expr_get_str(expression, UInt16(attribute)).map { String(cString: $0) } ?? ""
        }
        func bytes(_ attribute: Int) -> [UInt8] {
            var length: UInt32 = 0
            guard isSet(attribute), let data = nftnl_expr_get(expression, UInt16(attribute), &length) else { return [] }
            return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
        }
        let name = text(Int(NFTNL_EXPR_NAME))
        switch name {
        case "meta":
            let isLoad = isSet(Int(NFTNL_EXPR_META_DREG))
            self = .meta(
                key: MetaKey(rawValue: u32(Int(NFTNL_EXPR_META_KEY))),
                register: u32(Int(isLoad ? NFTNL_EXPR_META_DREG : NFTNL_EXPR_META_SREG)), isLoad: isLoad)
        case "cmp":
            self = .cmp(
                register: u32(Int(NFTNL_EXPR_CMP_SREG)), op: CmpOperator(rawValue: u32(Int(NFTNL_EXPR_CMP_OP))) ?? .eq,
                data: bytes(Int(NFTNL_EXPR_CMP_DATA)))
        case "payload":
            let isLoad = !isSet(Int(NFTNL_EXPR_PAYLOAD_SREG))
            self = .payload(
                base: PayloadBase(rawValue: u32(Int(NFTNL_EXPR_PAYLOAD_BASE))) ?? .inner,
                offset: u32(Int(NFTNL_EXPR_PAYLOAD_OFFSET)), length: u32(Int(NFTNL_EXPR_PAYLOAD_LEN)),
                register: u32(Int(isLoad ? NFTNL_EXPR_PAYLOAD_DREG : NFTNL_EXPR_PAYLOAD_SREG)), isLoad: isLoad)
        case "bitwise":
            self = .bitwise(
                source: u32(Int(NFTNL_EXPR_BITWISE_SREG)), destination: u32(Int(NFTNL_EXPR_BITWISE_DREG)),
                length: u32(Int(NFTNL_EXPR_BITWISE_LEN)), mask: bytes(Int(NFTNL_EXPR_BITWISE_MASK)),
                xor: bytes(Int(NFTNL_EXPR_BITWISE_XOR)))
        case "immediate":
            let register = u32(Int(NFTNL_EXPR_IMM_DREG))
            if isSet(Int(NFTNL_EXPR_IMM_VERDICT)) {
                let chain = isSet(Int(NFTNL_EXPR_IMM_CHAIN)) ? text(Int(NFTNL_EXPR_IMM_CHAIN)) : nil
                self = .immediate(register: register, .verdict(NFTVerdict(code: Int32(bitPattern: u32(Int(NFTNL_EXPR_IMM_VERDICT))), chain: chain)))
            } else {
                self = .immediate(register: register, .data(bytes(Int(NFTNL_EXPR_IMM_DATA))))
            }
        case "counter":
            self = .counter(packets: u64(Int(NFTNL_EXPR_CTR_PACKETS)), bytes: u64(Int(NFTNL_EXPR_CTR_BYTES)))
        case "ct":
            let isLoad = isSet(Int(NFTNL_EXPR_CT_DREG))
            self = .ct(key: u32(Int(NFTNL_EXPR_CT_KEY)), register: u32(Int(isLoad ? NFTNL_EXPR_CT_DREG : NFTNL_EXPR_CT_SREG)), isLoad: isLoad)
        case "lookup":
            self = .lookup(
                set: text(Int(NFTNL_EXPR_LOOKUP_SET)), register: u32(Int(NFTNL_EXPR_LOOKUP_SREG)),
                destination: isSet(Int(NFTNL_EXPR_LOOKUP_DREG)) ? u32(Int(NFTNL_EXPR_LOOKUP_DREG)) : nil,
                inverted: u32(Int(NFTNL_EXPR_LOOKUP_FLAGS)) & NFT_LOOKUP_F_INV.rawValue != 0)
        case "match":
            self = .match(name: text(Int(NFTNL_EXPR_MT_NAME)), revision: u32(Int(NFTNL_EXPR_MT_REV)), info: bytes(Int(NFTNL_EXPR_MT_INFO)))
        case "target":
            self = .target(name: text(Int(NFTNL_EXPR_TG_NAME)), revision: u32(Int(NFTNL_EXPR_TG_REV)), info: bytes(Int(NFTNL_EXPR_TG_INFO)))
        case "range":
            self = .range(
                register: u32(Int(NFTNL_EXPR_RANGE_SREG)), op: CmpOperator(rawValue: u32(Int(NFTNL_EXPR_RANGE_OP))) ?? .eq,
                from: bytes(Int(NFTNL_EXPR_RANGE_FROM_DATA)), to: bytes(Int(NFTNL_EXPR_RANGE_TO_DATA)))
        case "nat":
            self = .nat(
                type: NATType(rawValue: u32(Int(NFTNL_EXPR_NAT_TYPE))) ?? .snat, family: u32(Int(NFTNL_EXPR_NAT_FAMILY)),
                hasAddress: isSet(Int(NFTNL_EXPR_NAT_REG_ADDR_MIN)))
        case "limit":
            self = .limit(
                rate: u64(Int(NFTNL_EXPR_LIMIT_RATE)), unit: u64(Int(NFTNL_EXPR_LIMIT_UNIT)),
                burst: u32(Int(NFTNL_EXPR_LIMIT_BURST)), type: u32(Int(NFTNL_EXPR_LIMIT_TYPE)),
                flags: u32(Int(NFTNL_EXPR_LIMIT_FLAGS)))
        case "masq": self = .masquerade
        case "redir": self = .redirect
        case "reject":
            self = .reject(type: u32(Int(NFTNL_EXPR_REJECT_TYPE)), code: nftnl_expr_get_u8(expression, UInt16(NFTNL_EXPR_REJECT_CODE)))
        default: self = .other(name: name)
        }
    }
}
