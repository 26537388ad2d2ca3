import NatgateModel

// Revision 1, 8 bytes:
//   struct xt_addrtype_info_v1 {
//       __u16 source;   // 0: source types, 1 << RTN_* (UNSPEC 0x1, UNICAST 0x2, LOCAL 0x4, …)
//       __u16 dest;     // 2: destination types
//       __u32 flags;    // 4: INVERT_SOURCE 0x1, INVERT_DEST 0x2, LIMIT_IFACE_IN 0x4, LIMIT_IFACE_OUT 0x8
//   };
extension AddrtypeMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 8 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var flags: UInt32 = 0
        if sourceTypes?.negated == true { flags |= 0x1 }
        if destinationTypes?.negated == true { flags |= 0x2 }
        if limitToInInterface { flags |= 0x4 }
        if limitToOutInterface { flags |= 0x8 }
        var writer = ByteWriter(capacity: 8)
        writer.u16(sourceTypes?.value.rawValue ?? 0)
        writer.u16(destinationTypes?.value.rawValue ?? 0)
        writer.u32(flags)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var reader = payload
        let source = try reader.u16()
        let destination = try reader.u16()
        let flags = try reader.u32()
        guard flags & ~0x0F == 0 else { throw unknownBits("addrtype", "flags", flags) }
        return Match(AddrtypeMatch(
            sourceTypes: source != 0 || flags & 0x1 != 0 ? Negatable(AddressTypes(rawValue: source), negated: flags & 0x1 != 0) : nil,
            destinationTypes: destination != 0 || flags & 0x2 != 0 ? Negatable(AddressTypes(rawValue: destination), negated: flags & 0x2 != 0) : nil,
            limitToInInterface: flags & 0x4 != 0,
            limitToOutInterface: flags & 0x8 != 0))
    }
}
