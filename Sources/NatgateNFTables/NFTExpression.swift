/// One expression of an nf_tables rule, as the kernel holds it (`nft --debug=netlink` prints
/// them): loads into registers, comparisons, verdicts, statements, and xt compat matches and
/// targets (what iptables-nft writes for `-m NAME` and `-j NAME`).
///
/// Register numbers are the kernel's: 0 is the verdict register, 1–4 the 16-byte registers,
/// 8–23 the 4-byte ones.
public enum NFTExpression: Hashable, Sendable, CustomStringConvertible {
    /// `meta load KEY => reg N` (or `meta set KEY with reg N` when `isLoad` is false).
    case meta(key: MetaKey, register: UInt32, isLoad: Bool)
    /// `cmp OP reg N DATA`.
    case cmp(register: UInt32, op: CmpOperator, data: [UInt8])
    /// `payload load LENb @ BASE header + OFFSET => reg N` (or a payload write when `isLoad` is false).
    case payload(base: PayloadBase, offset: UInt32, length: UInt32, register: UInt32, isLoad: Bool)
    /// `bitwise reg D = (reg S & MASK) ^ XOR` (shifts carry empty mask and xor).
    case bitwise(source: UInt32, destination: UInt32, length: UInt32, mask: [UInt8], xor: [UInt8])
    /// `immediate reg N VALUE`: a verdict into register 0, or data into another register.
    case immediate(register: UInt32, Immediate)
    /// `counter pkts P bytes B`.
    case counter(packets: UInt64, bytes: UInt64)
    /// `ct load KEY => reg N` (or a ct write when `isLoad` is false).
    case ct(key: UInt32, register: UInt32, isLoad: Bool)
    /// `lookup reg N set NAME` (`inverted`: `!=`, the packet matches when the key is not in the
    /// set); with a `destination` register, a map lookup (`dreg 0`: a verdict map, `vmap`).
    case lookup(set: String, register: UInt32, destination: UInt32?, inverted: Bool)
    /// An xt compat match: `match name NAME rev R` (iptables-nft's `-m NAME`), with the xt match's
    /// own data (the kernel struct of that match and revision, such as `xt_conntrack_mtinfo3`).
    case match(name: String, revision: UInt32, info: [UInt8])
    /// An xt compat target: `target name NAME rev R` (iptables-nft's `-j NAME`), with the xt
    /// target's own data (such as `struct nf_nat_range2` for SNAT revision 2).
    case target(name: String, revision: UInt32, info: [UInt8])
    /// `range OP reg N FROM TO`: the register lies (`eq`) or does not lie (`neq`) within FROM…TO,
    /// as iptables-nft writes a port range (`--dport 1000:2000`).
    case range(register: UInt32, op: CmpOperator, from: [UInt8], to: [UInt8])
    /// `limit rate RATE/UNIT burst B type T flags F`: a token bucket (`rate` per `unit` seconds;
    /// type 0 counts packets, 1 bytes; flag 1 inverts), as iptables-nft writes `-m limit`.
    case limit(rate: UInt64, unit: UInt64, burst: UInt32, type: UInt32, flags: UInt32)
    /// `nat snat|dnat`: the NAT statement; `hasAddress` when it names an address (from a register).
    case nat(type: NATType, family: UInt32, hasAddress: Bool)
    /// `masq`: masquerade (SNAT to the outgoing interface's address).
    case masquerade
    /// `redir`: redirect to the host itself.
    case redirect
    /// `reject type T code C`: drop and answer with an ICMP error or a TCP reset.
    case reject(type: UInt32, code: UInt8)
    /// Any other expression, by the name the kernel gives it (`limit`, `log`, `range`, …).
    case other(name: String)

    /// What an `immediate` expression puts into its register.
    public enum Immediate: Hashable, Sendable, CustomStringConvertible {
        /// A verdict for the verdict register.
        case verdict(NFTVerdict)
        /// Bytes for a data register.
        case data([UInt8])

        public var description: String {
            switch self {
            case .verdict(let verdict): verdict.description
            case .data(let bytes): hexWords(bytes)
            }
        }
    }

    /// A `meta` key (`NFT_META_*`).
    public struct MetaKey: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `meta length`: the packet's length.
        public static let length = MetaKey(rawValue: 0)
        /// `meta protocol`: the EtherType.
        public static let `protocol` = MetaKey(rawValue: 1)
        /// `meta mark`: the packet mark.
        public static let mark = MetaKey(rawValue: 3)
        /// `meta iif`: the input interface's index.
        public static let iif = MetaKey(rawValue: 4)
        /// `meta oif`: the output interface's index.
        public static let oif = MetaKey(rawValue: 5)
        /// `meta iifname`: the input interface's name.
        public static let iifname = MetaKey(rawValue: 6)
        /// `meta oifname`: the output interface's name.
        public static let oifname = MetaKey(rawValue: 7)
        /// `meta nfproto`: the netfilter family.
        public static let nfproto = MetaKey(rawValue: 15)
        /// `meta l4proto`: the layer-4 protocol.
        public static let l4proto = MetaKey(rawValue: 16)

        public var description: String {
            switch rawValue {
            case 0: "len"
            case 1: "protocol"
            case 2: "priority"
            case 3: "mark"
            case 4: "iif"
            case 5: "oif"
            case 6: "iifname"
            case 7: "oifname"
            case 15: "nfproto"
            case 16: "l4proto"
            default: "key \(rawValue)"
            }
        }
    }

    /// A `cmp` operator (`NFT_CMP_*`).
    public enum CmpOperator: UInt32, Hashable, Sendable, CustomStringConvertible {
        /// Equal, not equal, less, less or equal, greater, greater or equal (`NFT_CMP_*`).
        case eq = 0, neq, lt, lte, gt, gte

        public var description: String { ["eq", "neq", "lt", "lte", "gt", "gte"][Int(rawValue)] }
    }

    /// The header a `payload` expression reads (`NFT_PAYLOAD_*_HEADER`).
    public enum PayloadBase: UInt32, Hashable, Sendable, CustomStringConvertible {
        /// Where a payload offset counts from: the link-layer, network, transport or inner header
        /// (`NFT_PAYLOAD_*_HEADER`).
        case link = 0, network, transport, inner

        public var description: String { ["link layer", "network", "transport", "inner"][Int(rawValue)] }
    }

    /// The kind of a `nat` expression (`NFT_NAT_*`).
    public enum NATType: UInt32, Hashable, Sendable, CustomStringConvertible {
        /// Source or destination NAT (`NFT_NAT_SNAT`, `NFT_NAT_DNAT`).
        case snat = 0, dnat

        public var description: String { self == .snat ? "snat" : "dnat" }
    }

    /// The expression's name in the kernel (`meta`, `cmp`, `match`, …).
    public var name: String {
        switch self {
        case .meta: "meta"
        case .cmp: "cmp"
        case .payload: "payload"
        case .bitwise: "bitwise"
        case .immediate: "immediate"
        case .counter: "counter"
        case .ct: "ct"
        case .lookup: "lookup"
        case .match: "match"
        case .target: "target"
        case .range: "range"
        case .limit: "limit"
        case .nat: "nat"
        case .masquerade: "masq"
        case .redirect: "redir"
        case .reject: "reject"
        case .other(let name): name
        }
    }

    /// The expression close to how `nft --debug=netlink` prints it.
    public var description: String {
        switch self {
        case .meta(let key, let register, let isLoad):
            isLoad ? "meta load \(key) => reg \(register)" : "meta set \(key) with reg \(register)"
        case .cmp(let register, let op, let data): "cmp \(op) reg \(register) \(hexWords(data))"
        case .payload(let base, let offset, let length, let register, let isLoad):
            isLoad ? "payload load \(length)b @ \(base) header + \(offset) => reg \(register)"
                : "payload write reg \(register) => \(length)b @ \(base) header + \(offset)"
        case .bitwise(let source, let destination, _, let mask, let xor):
            "bitwise reg \(destination) = ( reg \(source) & \(hexWords(mask)) ) ^ \(hexWords(xor))"
        case .immediate(let register, let value): "immediate reg \(register) \(value)"
        case .counter(let packets, let bytes): "counter pkts \(packets) bytes \(bytes)"
        case .ct(let key, let register, let isLoad):
            isLoad ? "ct load key \(key) => reg \(register)" : "ct set key \(key) with reg \(register)"
        case .lookup(let set, let register, let destination, let inverted):
            "lookup reg \(register) set \(set)\(destination.map { " dreg \($0)" } ?? "")\(inverted ? " 0x1" : "")"
        case .match(let name, let revision, _): "match name \(name) rev \(revision)"
        case .target(let name, let revision, _): "target name \(name) rev \(revision)"
        case .range(let register, let op, let from, let to): "range \(op) reg \(register) \(hexWords(from)) \(hexWords(to))"
        case .nat(let type, let family, _): "nat \(type) \(family == 10 ? "ip6" : "ip")"
        case .limit(let rate, let unit, let burst, let type, let flags):
            "limit rate \(rate)/\(unit) burst \(burst) type \(type == 0 ? "packets" : "bytes") flags 0x\(String(flags, radix: 16))"
        case .masquerade: "masq"
        case .redirect: "redir"
        case .reject(let type, let code): "reject type \(type) code \(code)"
        case .other(let name): name
        }
    }
}

/// Bytes as nft's debug output shows register data: little-endian 32-bit words, `0x0001c80a`.
func hexWords(_ bytes: [UInt8]) -> String {
    stride(from: 0, to: bytes.count, by: 4).map { start in
        let word = bytes[start..<min(start + 4, bytes.count)].reversed()
        return "0x" + String(repeating: "00", count: 4 - word.count) + word.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }.joined(separator: " ")
}
