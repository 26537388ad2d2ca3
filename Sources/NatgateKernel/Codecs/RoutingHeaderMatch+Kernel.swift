import NatgateModel

// IPv6 only, revision 0 (ip6tables-legacy 1.8.9):
//   struct ip6t_rt {                              // 280 bytes
//       __u32 rt_type;                            //   0
//       __u32 segsleft[2];                        //   4: min, max (0, 0xFFFFFFFF when not given)
//       __u32 hdrlen;                             //  12
//       __u8 flags;                               //  16: TYP 1, SGS 2, LEN 4, RES 8, FST 0x10, FST_NSTRICT 0x20
//       __u8 invflags;                            //  17: INV_TYP 1, INV_SGS 2, INV_LEN 4
//                                                 //  18: 2 bytes padding (in6_addr is 4-aligned)
//       struct in6_addr addrs[IP6T_RT_HOPS];      //  20: 16 × 16 bytes
//       __u8 addrnr;                              // 276
//   };                                            // 277: 3 bytes padding
extension RoutingHeaderMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 280 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var flags: UInt8 = 0
        var inverted: UInt8 = 0
        func flag(_ bit: UInt8, given: Bool, negated: Bool?) {
            if given { flags |= bit }
            if negated == true { inverted |= bit }
        }
        flag(0x01, given: type != nil, negated: type?.negated)
        flag(0x02, given: segmentsLeft != nil, negated: segmentsLeft?.negated)
        flag(0x04, given: length != nil, negated: length?.negated)
        flag(0x08, given: reservedZero, negated: nil)
        flag(0x10, given: addresses != nil, negated: nil)
        flag(0x20, given: notStrict, negated: nil)
        let segments = segmentsLeft?.value ?? .all
        var writer = ByteWriter(capacity: 280)
        writer.u32(type?.value ?? 0)
        writer.u32(segments.lower)
        writer.u32(segments.upper)
        writer.u32(length?.value ?? 0)
        writer.u8(flags)
        writer.u8(inverted)
        writer.zeros(2)
        let list = addresses ?? []
        for address in list { writer.raw(address.bytes) }
        writer.zeros(16 * (RoutingHeaderMatch.maximumAddresses - list.count))
        writer.u8(UInt8(list.count))
        writer.zeros(3)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let type = try payload.u32()
        let segments = SegmentsRange(lower: try payload.u32(), upper: try payload.u32())
        let length = try payload.u32()
        let flags = try payload.u8()
        let inverted = try payload.u8()
        try payload.skip(2)
        var list: [IPv6Address] = []
        for _ in 0..<maximumAddresses { list.append(IPv6Address(bytes: try payload.raw(16))) }
        let count = Int(try payload.u8())
        guard count <= maximumAddresses else {
            throw ModelError(.invalidValue, input: "\(count)", "rt: the kernel entry lists \(count) addresses; at most \(maximumAddresses) fit.")
        }
        var match = RoutingHeaderMatch()
        if flags & 0x01 != 0 { match.type = Negatable(type, negated: inverted & 0x01 != 0) }
        if flags & 0x02 != 0 { match.segmentsLeft = Negatable(segments, negated: inverted & 0x02 != 0) }
        if flags & 0x04 != 0 { match.length = Negatable(length, negated: inverted & 0x04 != 0) }
        match.reservedZero = flags & 0x08 != 0
        if flags & 0x10 != 0 { match.addresses = Array(list.prefix(count)) }
        match.notStrict = flags & 0x20 != 0
        return try lossless(match, from: payload, context: context)
    }
}
