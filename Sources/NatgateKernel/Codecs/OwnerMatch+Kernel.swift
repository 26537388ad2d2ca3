import NatgateModel

// Revision 1 (iptables-legacy 1.8.9), both families:
//   struct xt_owner_match_info {     // 20 bytes
//       __u32 uid_min, uid_max;      //  0, 4
//       __u32 gid_min, gid_max;      //  8, 12
//       __u8 match, invert;          // 16, 17: XT_OWNER_UID 1, GID 2, SOCKET 4, SUPPL_GROUPS 8
//   };                               // 18: 2 bytes padding
extension OwnerMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 20 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var match: UInt8 = 0
        var invert: UInt8 = 0
        if let uid {
            match |= 1
            if uid.negated { invert |= 1 }
        }
        if let gid {
            match |= 2
            if gid.negated { invert |= 2 }
        }
        if let socketExists {
            match |= 4
            if !socketExists { invert |= 4 }
        }
        if supplementaryGroups { match |= 8 }
        var writer = ByteWriter(capacity: 20)
        writer.u32(uid?.value.lower ?? 0)
        writer.u32(uid?.value.upper ?? 0)
        writer.u32(gid?.value.lower ?? 0)
        writer.u32(gid?.value.upper ?? 0)
        writer.u8(match)
        writer.u8(invert)
        writer.zeros(2)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let uid = IDRange(lower: try payload.u32(), upper: try payload.u32())
        let gid = IDRange(lower: try payload.u32(), upper: try payload.u32())
        let match = try payload.u8()
        let invert = try payload.u8()
        var owner = OwnerMatch()
        if match & 1 != 0 { owner.uid = Negatable(uid, negated: invert & 1 != 0) }
        if match & 2 != 0 { owner.gid = Negatable(gid, negated: invert & 2 != 0) }
        if match & 4 != 0 { owner.socketExists = invert & 4 == 0 }
        owner.supplementaryGroups = match & 8 != 0
        return try lossless(owner, from: payload, context: context)
    }
}
