import NatgateModel

// Revision 1 (iptables-legacy 1.8.9), both families:
//   struct xt_iprange_mtinfo {                    // 68 bytes
//       union nf_inet_addr src_min, src_max;      //  0, 16
//       union nf_inet_addr dst_min, dst_max;      // 32, 48
//       __u8 flags;                               // 64: IPRANGE_SRC 1, DST 2, SRC_INV 0x10, DST_INV 0x20
//   };                                            // 65: 3 bytes padding
// An IPv4 address fills the first 4 bytes of its 16-byte union (network order), the rest 0.
extension IPRangeMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 68 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 68)
        var flags: UInt8 = 0
        for (range, given, inverted) in [(source, UInt8(0x01), UInt8(0x10)), (destination, 0x02, 0x20)] {
            if let range {
                flags |= given
                if range.negated { flags |= inverted }
            }
            writer.raw(Self.union(range?.value.lower))
            writer.raw(Self.union(range?.value.upper))
        }
        writer.u8(flags)
        writer.zeros(3)
        return writer.bytes
    }

    static func union(_ address: IPAddress?) -> [UInt8] {
        switch address {
        case .v4(let v4): v4.bytes + Array(repeating: 0, count: 12)
        case .v6(let v6): v6.bytes
        case nil: Array(repeating: 0, count: 16)
        }
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        func address() throws -> IPAddress {
            let bytes = try payload.raw(16)
            if context.family == .ipv4 {
                return .v4(IPv4Address(rawValue: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }))
            }
            return .v6(IPv6Address(bytes: bytes))
        }
        let ranges = [try AddressRange(lower: try address(), upper: try address()), try AddressRange(lower: try address(), upper: try address())]
        let flags = try payload.u8()
        var match = IPRangeMatch()
        if flags & 0x01 != 0 { match.source = Negatable(ranges[0], negated: flags & 0x10 != 0) }
        if flags & 0x02 != 0 { match.destination = Negatable(ranges[1], negated: flags & 0x20 != 0) }
        return try lossless(match, from: payload, context: context)
    }
}
