import NatgateModel

// Revision 2: struct xt_connmark_tginfo2, 15 bytes used, 16 with padding:
//   __u32 ctmark;                    //  0
//   __u32 ctmask;                    //  4
//   __u32 nfmask;                    //  8
//   __u8 shift_dir, shift_bits, mode;// 12, 13, 14: dir 0 left / 1 right; mode 0 set, 1 save, 2 restore
//                                    // 15: padding
//   -A PREROUTING -j CONNMARK --save-mark --left-shift-mark 8   (mangle)
//   00000000 ffffffff ffffffff 00080100
extension ConnmarkTarget: KernelTargetCodec {
    public static func revision(for family: Family) -> UInt8 { 2 }
    public static func payloadSize(for family: Family) -> Int { 16 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        var writer = ByteWriter(capacity: 16)
        writer.u32(ctmark)
        writer.u32(ctmask)
        writer.u32(nfmask)
        writer.u8(shiftDirection.rawValue)
        writer.u8(shiftBits)
        writer.u8(mode?.rawValue ?? 0)
        writer.zeros(1)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let ctmark = try payload.u32()
        let ctmask = try payload.u32()
        let nfmask = try payload.u32()
        let direction = try payload.u8()
        let bits = try payload.u8()
        let modeValue = try payload.u8()
        guard let shiftDirection = ShiftDirection(rawValue: direction), let mode = Mode(rawValue: modeValue), bits <= 32 else {
            throw ModelError(
                .invalidValue, input: "\(modeValue)", "CONNMARK mode \(modeValue), shift \(direction)/\(bits) are outside what iptables writes.")
        }
        return try losslessTarget(ConnmarkTarget(mode: mode, ctmark: ctmark, ctmask: ctmask, nfmask: nfmask, shiftDirection: shiftDirection, shiftBits: bits), payload: payload, context: context)
    }
}
