import NatgateModel

/// One ip set request as the kernel reads it, built byte by byte (native byte order unless said):
///
///     struct nlmsghdr  { u32 len; u16 type = NFNL_SUBSYS_IPSET << 8 | command; u16 flags;
///                        u32 seq; u32 pid = 0; }                                   // 16 bytes
///     struct nfgenmsg  { u8 family; u8 version = NFNETLINK_V0; be16 res_id = 0; }  //  4 bytes
///     attributes       { u16 len (header + payload, unpadded); u16 type; payload; padding to 4 }
///
/// Every request carries IPSET_ATTR_PROTOCOL (u8 7) first. A member of a hash:net,iface set is an
/// IPSET_ATTR_DATA nest holding IPSET_ATTR_IP (a nest with one IPSET_ATTR_IPADDR_IPV4, a be32
/// flagged NLA_F_NET_BYTEORDER, or IPSET_ATTR_IPADDR_IPV6, 16 bytes), IPSET_ATTR_CIDR (u8),
/// IPSET_ATTR_IFACE (a NUL-terminated string) and IPSET_ATTR_LINENO (be32): several members go in
/// one IPSET_ATTR_ADT nest, and when one fails the kernel answers with the request, its
/// command-level IPSET_ATTR_LINENO set to the failing member's number.
struct IPSetMessage {
    enum Command: UInt8 {
        case create = 2, destroy = 3, flush = 4, rename = 5, swap = 6, list = 7, add = 9, delete = 10, test = 11, type = 13
    }

    enum Attribute: UInt16 {
        // Command level.
        case `protocol` = 1, setName = 2, typeName = 3, revision = 4, family = 5, flags = 6, data = 7, adt = 8, lineNumber = 9
        // Inside IPSET_ATTR_DATA.
        static let ip: UInt16 = 1, cidr: UInt16 = 3, cadtFlags: UInt16 = 8, interface: UInt16 = 23
        static let elements: UInt16 = 24, references: UInt16 = 25
        // Inside IPSET_ATTR_IP.
        static let ipv4: UInt16 = 1, ipv6: UInt16 = 2
        static let setName2: UInt16 = 3
    }

    static let protocolVersion: UInt8 = 7
    static let subsystem: UInt16 = 6  // NFNL_SUBSYS_IPSET
    static let nested: UInt16 = 0x8000  // NLA_F_NESTED
    static let netByteOrder: UInt16 = 0x4000  // NLA_F_NET_BYTEORDER
    static let request: UInt16 = 0x1, ack: UInt16 = 0x4, dump: UInt16 = 0x300, excl: UInt16 = 0x200, create: UInt16 = 0x400

    private(set) var bytes: [UInt8] = []
    private var nests: [Int] = []

    init(_ command: Command, family: UInt8 = 2, flags: UInt16) {
        bytes.reserveCapacity(256)
        put32(0)  // length, filled by `finished`
        put16(Self.subsystem << 8 | UInt16(command.rawValue))
        put16(flags)
        put32(0)  // sequence, filled by `finished`
        put32(0)
        bytes += [family, 0, 0, 0]
        attribute(Attribute.protocol.rawValue, [Self.protocolVersion])
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        put16(UInt16(4 + payload.count))
        put16(type)
        bytes += payload
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    mutating func string(_ type: UInt16, _ text: String) { attribute(type, Array(text.utf8) + [0]) }
    mutating func be32(_ type: UInt16, _ value: UInt32) {
        attribute(type | Self.netByteOrder, withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }

    mutating func beginNest(_ type: UInt16) {
        nests.append(bytes.count)
        put16(0)
        put16(type | Self.nested)
    }

    mutating func endNest() {
        let start = nests.removeLast()
        let length = UInt16(bytes.count - start)
        bytes[start] = UInt8(length & 0xFF)
        bytes[start + 1] = UInt8(length >> 8)
    }

    /// A hash:net,iface member, numbered `line` for the kernel's error answer.
    mutating func member(_ member: IPSetMember, prefixLength: Int, line: UInt32) {
        beginNest(Attribute.data.rawValue)
        beginNest(Attribute.ip)
        if member.network.family == .ipv4 {
            attribute(Attribute.ipv4 | Self.netByteOrder, member.addressBytes)
        } else {
            attribute(Attribute.ipv6 | Self.netByteOrder, member.addressBytes)
        }
        endNest()
        attribute(Attribute.cidr, [UInt8(prefixLength)])
        string(Attribute.interface, member.interface.rawValue)
        be32(Attribute.lineNumber.rawValue, line)
        endNest()
    }

    /// The message with its length and sequence number in place.
    func finished(sequence: UInt32) -> [UInt8] {
        var message = bytes
        withUnsafeBytes(of: UInt32(message.count).littleEndian) { message.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: sequence.littleEndian) { message.replaceSubrange(8..<12, with: $0) }
        return message
    }

    private mutating func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    private mutating func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
}

/// Netlink attributes read back from an answer: type (flags masked off) and payload.
struct NetlinkAttributes {
    var entries: [(type: UInt16, payload: ArraySlice<UInt8>)] = []

    /// The attributes in `bytes`, which holds nothing else; stops at the first malformed one.
    init(_ bytes: ArraySlice<UInt8>) {
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3FFF
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            entries.append((type, bytes[(offset + 4)..<(offset + length)]))
            offset += (length + 3) & ~3
        }
    }

    /// Calls `body` with each attribute in `bytes` (type with flags masked off, payload), in
    /// order, without copying; stops at the first malformed one, as `init` does.
    static func forEach<E: Error>(in bytes: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3FFF
            guard length >= 4, offset + length <= bytes.count else { break }
            try body(type, UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + length)]))
            offset += (length + 3) & ~3
        }
    }

    func first(_ type: UInt16) -> ArraySlice<UInt8>? { entries.first { $0.type == type }?.payload }
    func all(_ type: UInt16) -> [ArraySlice<UInt8>] { entries.filter { $0.type == type }.map(\.payload) }

    func string(_ type: UInt16) -> String? {
        first(type).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    func u8(_ type: UInt16) -> UInt8? { first(type)?.first }

    func be32(_ type: UInt16) -> UInt32? {
        guard let payload = first(type), payload.count >= 4 else { return nil }
        return payload.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
