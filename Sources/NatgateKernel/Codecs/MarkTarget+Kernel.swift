import NatgateModel

// Revision 2: struct xt_mark_tginfo2 { __u32 mark, mask; }, 8 bytes, host order.
//   -A PREROUTING -j MARK --set-mark 0x10/0xf0    (mangle)   10000000 f0000000
//   -A PREROUTING -j MARK --and-mark 0xff         (mangle)   00000000 00ffffff
extension MarkTarget: KernelTargetCodec {
    public static func revision(for family: Family) -> UInt8 { 2 }
    public static func payloadSize(for family: Family) -> Int { 8 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        var writer = ByteWriter(capacity: 8)
        writer.u32(xmark?.value ?? 0)
        writer.u32(xmark?.mask ?? 0)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let value = try payload.u32()
        let mask = try payload.u32()
        return try losslessTarget(MarkTarget(XMark(value: value, mask: mask)), payload: payload, context: context)
    }
}
