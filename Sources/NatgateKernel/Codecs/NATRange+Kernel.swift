import NatgateModel

// The three NAT range structs iptables-legacy 1.8.9 writes. Addresses and ports are network order;
// everything else host order.
//
//   struct nf_nat_ipv4_multi_range_compat {        // 20 bytes (IPv4 SNAT, MASQUERADE, REDIRECT rev 0)
//       unsigned int rangesize;                    //  0: always 1
//       struct nf_nat_ipv4_range {
//           unsigned int flags;                    //  4
//           __be32 min_ip, max_ip;                 //  8, 12
//           union nf_conntrack_man_proto min, max; // 16, 18: be16 ports
//       } range[1];
//   };
//   struct nf_nat_range {                          // 40 bytes (IPv6 SNAT rev 1, MASQUERADE, REDIRECT rev 0)
//       unsigned int flags;                        //  0
//       union nf_inet_addr min_addr, max_addr;     //  4, 20: 16 bytes each, IPv4 in the first 4
//       union nf_conntrack_man_proto min_proto, max_proto;  // 36, 38
//   };
//   struct nf_nat_range2 {                         // 44 bytes (DNAT rev 2, both families)
//       ...nf_nat_range...                         //  0..39
//       union nf_conntrack_man_proto base_proto;   // 40: first port of a shifted port map
//   };                                             // 42: 2 bytes of padding
//
// flags: MAP_IPS 0x01, PROTO_SPECIFIED 0x02, PROTO_RANDOM 0x04, PERSISTENT 0x08,
//        PROTO_RANDOM_FULLY 0x10, PROTO_OFFSET 0x20.
enum NATFlags {
    static let mapIPs: UInt32 = 0x01
    static let protoSpecified: UInt32 = 0x02
    static let random: UInt32 = 0x04
    static let persistent: UInt32 = 0x08
    static let randomFully: UInt32 = 0x10
    static let protoOffset: UInt32 = 0x20
    static let all: UInt32 = 0x3F
}

/// A NAT range in the kernel's terms: flags, the address pair and the port pair.
struct KernelNATRange {
    var flags: UInt32 = 0
    var minAddress: [UInt8] = Array(repeating: 0, count: 16)
    var maxAddress: [UInt8] = Array(repeating: 0, count: 16)
    var minPort: UInt16 = 0
    var maxPort: UInt16 = 0
    var basePort: UInt16 = 0

    init() {}

    /// The range `range` describes (nil: none), with the option flags added.
    init(_ range: NATRange?, ports: PortRange? = nil, flags extra: UInt32) {
        flags = extra
        if let addresses = range?.addresses {
            flags |= NATFlags.mapIPs
            minAddress = KernelNATRange.field(addresses.first)
            maxAddress = KernelNATRange.field(addresses.last)
        }
        if let ports = range?.ports ?? ports {
            flags |= NATFlags.protoSpecified
            minPort = ports.lower
            maxPort = ports.upper
        }
        if let base = range?.portBase {
            flags |= NATFlags.protoOffset
            basePort = base
        }
    }

    /// A `union nf_inet_addr`: IPv4 in the first four bytes.
    static func field(_ address: IPAddress) -> [UInt8] {
        switch address {
        case .v4(let v4): v4.bytes + Array(repeating: 0, count: 12)
        case .v6(let v6): v6.bytes
        }
    }

    static func address(_ field: [UInt8], family: Family) -> IPAddress {
        switch family {
        case .ipv4: .v4(IPv4Address(field[0], field[1], field[2], field[3]))
        case .ipv6: .v6(IPv6Address(bytes: field))
        }
    }

    /// The model's range, with the flags that are not part of it left in `flags` for the caller.
    /// Throws when the kernel's flags hold a bit natgate does not model, so that the entry is kept
    /// as opaque bytes instead of being rewritten.
    func range(family: Family, allowingPortBase: Bool = false) throws -> NATRange? {
        guard flags & ~NATFlags.all == 0, allowingPortBase || flags & NATFlags.protoOffset == 0 else {
            throw ModelError(.invalidValue, input: "0x\(String(flags, radix: 16))", "NAT range flags 0x\(String(flags, radix: 16)) hold bits natgate does not model.")
        }
        guard flags & (NATFlags.mapIPs | NATFlags.protoSpecified) != 0 else { return nil }
        var range = NATRange()
        if flags & NATFlags.mapIPs != 0 {
            range.addresses = NATRange.AddressRange(
                first: KernelNATRange.address(minAddress, family: family), last: KernelNATRange.address(maxAddress, family: family))
        }
        if flags & NATFlags.protoSpecified != 0 {
            range.ports = try PortRange(lower: minPort, upper: maxPort)
            if flags & NATFlags.protoOffset != 0 { range.portBase = basePort }
        }
        return range
    }

    // nf_nat_ipv4_multi_range_compat, 20 bytes.
    func encodeIPv4Compat() -> [UInt8] {
        var writer = ByteWriter(capacity: 20)
        writer.u32(1)
        writer.u32(flags)
        writer.raw(Array(minAddress.prefix(4)))
        writer.raw(Array(maxAddress.prefix(4)))
        writer.be16(minPort)
        writer.be16(maxPort)
        return writer.bytes
    }

    static func decodeIPv4Compat(_ payload: ByteReader) throws -> KernelNATRange {
        var payload = payload
        var range = KernelNATRange()
        let rangeSize = try payload.u32()
        guard rangeSize == 1 else {
            throw ModelError(.invalidValue, input: "\(rangeSize)", "NAT rangesize \(rangeSize): natgate models exactly one range.")
        }
        range.flags = try payload.u32()
        range.minAddress = try payload.raw(4) + Array(repeating: 0, count: 12)
        range.maxAddress = try payload.raw(4) + Array(repeating: 0, count: 12)
        range.minPort = try payload.be16()
        range.maxPort = try payload.be16()
        return range
    }

    // nf_nat_range, 40 bytes; with `base`, nf_nat_range2, 44 bytes.
    func encodeRange(version2: Bool) -> [UInt8] {
        var writer = ByteWriter(capacity: 44)
        writer.u32(flags)
        writer.raw(minAddress)
        writer.raw(maxAddress)
        writer.be16(minPort)
        writer.be16(maxPort)
        if version2 {
            writer.be16(basePort)
            writer.zeros(2)
        }
        return writer.bytes
    }

    static func decodeRange(_ payload: ByteReader, version2: Bool) throws -> KernelNATRange {
        var payload = payload
        var range = KernelNATRange()
        range.flags = try payload.u32()
        range.minAddress = try payload.raw(16)
        range.maxAddress = try payload.raw(16)
        range.minPort = try payload.be16()
        range.maxPort = try payload.be16()
        if version2 { range.basePort = try payload.be16() }
        return range
    }
}

/// `value` as the decoded target, when encoding it gives back the payload's userspace bytes;
/// otherwise an error, so that the backend keeps the entry as opaque bytes. A typed target is
/// thus never a lossy reading of what the kernel holds (garbage after a string's NUL, a field
/// iptables leaves zero, a port pair without its flag).
func losslessTarget<T: KernelTargetCodec>(_ value: T, payload: ByteReader, context: ExtensionContext) throws -> Target {
    let size = T.userspaceSize(for: context.family)
    let again = try value.encodePayload(context: context)
    guard again.count >= size, payload.bytes.count >= size, again.prefix(size).elementsEqual(payload.bytes.prefix(size)) else {
        throw ModelError(
            .invalidValue, input: T.kernelName,
            "\(T.kernelName) payload is not in the form iptables-legacy writes for `\(value)`; natgate keeps it as bytes.")
    }
    return Target(value)
}
