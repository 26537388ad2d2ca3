import NatgateModel

/// Three-valued truth: whether a rule's conditions hold for a kind of packet.
enum Truth {
    case always, never, maybe

    static func && (lhs: Truth, rhs: Truth) -> Truth {
        if lhs == .never || rhs == .never { return .never }
        if lhs == .maybe || rhs == .maybe { return .maybe }
        return .always
    }

    var negated: Truth {
        switch self {
        case .always: .never
        case .never: .always
        case .maybe: .maybe
        }
    }
}

/// What the analysis knows of a register's bytes: each bit known (`known` bit set, value in
/// `value`) or not; `excluded` are values the bytes are known not to hold (the uplink's name and
/// `lo`, for the interface on the subnet's side).
struct SymbolicValue {
    var value: [UInt8]
    var known: [UInt8]
    var excluded: [[UInt8]] = []

    static func unknown(_ length: Int) -> SymbolicValue {
        SymbolicValue(value: Array(repeating: 0, count: length), known: Array(repeating: 0, count: length))
    }

    static func exactly(_ bytes: [UInt8]) -> SymbolicValue {
        SymbolicValue(value: bytes, known: Array(repeating: 0xFF, count: bytes.count))
    }

    /// `(self & mask) ^ xor`: bits the mask clears become known zeros.
    func masked(_ mask: [UInt8], _ xor: [UInt8]) -> SymbolicValue {
        var result = SymbolicValue.unknown(max(value.count, mask.count))
        for index in 0..<result.value.count {
            let m = index < mask.count ? mask[index] : 0
            let x = index < xor.count ? xor[index] : 0
            let v = index < value.count ? value[index] : 0
            let k = index < known.count ? known[index] : 0
            result.value[index] = (v & m) ^ x
            result.known[index] = (k & m) | ~m
        }
        return result
    }

    /// Whether the bytes equal `data` (compared over `data.count` bytes, as nft's cmp does).
    func equals(_ data: [UInt8]) -> Truth {
        var allKnown = true
        for (index, byte) in data.enumerated() {
            let v = index < value.count ? value[index] : 0
            let k = index < known.count ? known[index] : 0xFF
            if (v ^ byte) & k != 0 { return .never }
            if k != 0xFF { allKnown = false }
        }
        if allKnown { return .always }
        // data names an excluded value exactly (it holds the name's terminating NUL).
        if data.contains(0), excluded.contains(where: { data.count <= $0.count && Array($0[0..<data.count]) == data }) {
            return .never
        }
        return .maybe
    }

    /// `<`, `<=`, `>`, `>=` of big-endian bytes, decided only when every compared bit is known.
    func compare(_ op: NFTExpression.CmpOperator, _ data: [UInt8]) -> Truth {
        guard data.indices.allSatisfy({ $0 < known.count && known[$0] == 0xFF }) else { return .maybe }
        let bytes = Array(value[0..<data.count])
        let less = bytes.lexicographicallyPrecedes(data)
        let equal = bytes == data
        let holds: Bool
        switch op {
        case .lt: holds = less
        case .lte: holds = less || equal
        case .gt: holds = !less && !equal
        case .gte: holds = !less
        case .eq: holds = equal
        case .neq: holds = !equal
        }
        return holds ? .always : .never
    }

    /// `length` bytes from `offset`.
    func slice(_ offset: Int, _ length: Int) -> SymbolicValue {
        var result = SymbolicValue.unknown(length)
        for index in 0..<length where offset + index < value.count {
            result.value[index] = value[offset + index]
            result.known[index] = known[offset + index]
        }
        return result
    }
}

/// One kind of the gateway's packets, as far as the analysis knows it.
struct PacketModel {
    let direction: NFTGatewayTraffic.Direction
    let family: Family
    /// The network header: addresses of the subnet's side known to its prefix, the rest unknown.
    let networkHeader: SymbolicValue
    let inputInterface: SymbolicValue
    let outputInterface: SymbolicValue
    let ctState: UInt32

    init(_ traffic: NFTGatewayTraffic, _ direction: NFTGatewayTraffic.Direction) {
        self.direction = direction
        family = traffic.family
        let uplink = PacketModel.interface(traffic.uplink)
        var downstream = traffic.downstream.map(PacketModel.interface) ?? .unknown(16)
        if traffic.downstream == nil {
            // Not the uplink (a gateway forwards between two interfaces), and never loopback.
            if !traffic.uplink.isWildcard { downstream.excluded.append(uplink.value) }
            downstream.excluded.append(Array("lo".utf8) + Array(repeating: 0, count: 14))
        }
        let outbound = direction != .replies
        inputInterface = outbound ? downstream : uplink
        outputInterface = outbound ? uplink : downstream
        ctState = direction == .outboundNew ? 8 : 2  // NF_CT_STATE_BIT: new 8, established 2
        // IPv4: source at 12, destination at 16 (20 bytes); IPv6: source at 8, destination at 24 (40 bytes).
        let (length, source, destination, address, mask): (Int, Int, Int, [UInt8], [UInt8])
        switch traffic.subnet {
        case .v4(let network):
            let m = network.mask
            (length, source, destination) = (20, 12, 16)
            address = network.address.bytes
            mask = [UInt8(m >> 24), UInt8(m >> 16 & 0xFF), UInt8(m >> 8 & 0xFF), UInt8(m & 0xFF)]
        case .v6(let network):
            (length, source, destination) = (40, 8, 24)
            address = network.address.bytes
            mask = network.mask.bytes
        }
        var header = SymbolicValue.unknown(length)
        let offset = outbound ? source : destination
        for index in 0..<address.count {
            header.value[offset + index] = address[index] & mask[index]
            header.known[offset + index] = mask[index]
        }
        // The version nibble.
        header.value[0] = family == .ipv4 ? 0x40 : 0x60
        header.known[0] = 0xF0
        networkHeader = header
    }

    /// An interface name as `meta iifname`/`oifname` loads it: 16 bytes, NUL-padded; for a
    /// wildcard (`veth+`) only the stem is known.
    static func interface(_ name: InterfaceName) -> SymbolicValue {
        let stem = Array(name.stem.utf8)
        var result = SymbolicValue.exactly(stem + Array(repeating: 0, count: 16 - stem.count))
        if name.isWildcard { for index in stem.count..<16 { result.known[index] = 0 } }
        return result
    }

    /// What `meta load KEY` puts into a register.
    func meta(_ key: NFTExpression.MetaKey) -> SymbolicValue {
        switch key {
        case .iifname: inputInterface
        case .oifname: outputInterface
        case .nfproto: .exactly([family == .ipv4 ? 2 : 10, 0, 0, 0])
        case .protocol: .exactly(family == .ipv4 ? [0x08, 0x00, 0, 0] : [0x86, 0xDD, 0, 0])
        default: .unknown(16)
        }
    }

    /// What `ct load KEY` puts into a register (`NFT_CT_*`): the state; the direction (original
    /// for the subnet's packets, reply for replies); of the status, that the connection was not
    /// destination-NATed (IPS_DST_NAT 0x20, IPS_DST_NAT_DONE 0x100: natgate only masquerades);
    /// nothing else.
    func ct(_ key: UInt32) -> SymbolicValue {
        switch key {
        case 0: return .exactly(withUnsafeBytes(of: ctState.littleEndian) { Array($0) })
        case 1: return .exactly([direction == .replies ? 1 : 0, 0, 0, 0])
        case 2: return SymbolicValue(value: [0, 0, 0, 0], known: [0x20, 0x01, 0, 0])
        default: return .unknown(16)
        }
    }

    /// Whether an xt compat match holds: `-m conntrack --ctstate` and `-m state --state` (their
    /// state alone) are decided from the packet's conntrack state; every other match is `maybe`.
    func xtMatch(_ name: String, revision: UInt32, info: [UInt8]) -> Truth {
        func u16(_ offset: Int) -> UInt16? {
            offset + 2 <= info.count ? UInt16(info[offset]) | UInt16(info[offset + 1]) << 8 : nil
        }
        switch (name, revision) {
        case ("state", 0):
            // struct xt_state_info { unsigned int statemask; }
            guard info.count >= 4 else { return .maybe }
            let mask = UInt32(info[0]) | UInt32(info[1]) << 8 | UInt32(info[2]) << 16 | UInt32(info[3]) << 24
            return mask & ctState != 0 ? .always : .never
        case ("conntrack", 1...3):
            // struct xt_conntrack_mtinfo1/2/3: eight 16-byte addresses and masks, expires_min and
            // _max (u32), l4proto and four ports (u16), then match_flags, invert_flags and
            // state_mask at 146, 148 and 150 (state_mask is a u8 in revision 1). Host byte order.
            let stateFlag: UInt16 = 1 << 0, aliasFlag: UInt16 = 1 << 13
            guard let flags = u16(146), let invert = u16(148), let wide = u16(150),
                  flags & stateFlag != 0, flags & ~(stateFlag | aliasFlag) == 0 else { return .maybe }
            let mask = revision == 1 ? UInt32(wide & 0xFF) : UInt32(wide)
            let holds = (mask & ctState != 0) != (invert & stateFlag != 0)
            return holds ? .always : .never
        default:
            return .maybe
        }
    }

    /// What `payload load` puts into a register.
    func payload(_ base: NFTExpression.PayloadBase, _ offset: UInt32, _ length: UInt32) -> SymbolicValue {
        base == .network ? networkHeader.slice(Int(offset), Int(length)) : .unknown(Int(length))
    }
}
