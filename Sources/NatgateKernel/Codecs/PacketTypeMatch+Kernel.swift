import NatgateModel

// Revision 0 (iptables-legacy 1.8.9), both families:
//   struct xt_pkttype_info {   // 8 bytes
//       int pkttype;           // 0: PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3
//       int invert;            // 4: 1 for `!`
//   };
extension PacketTypeMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 8 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.u32(UInt32(bitPattern: packetType.value.rawValue))
        writer.u32(packetType.negated ? 1 : 0)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let type = Int32(bitPattern: try payload.u32())
        let invert = try payload.u32()
        return try lossless(PacketTypeMatch(PacketType(rawValue: type), negated: invert != 0), from: payload, context: context)
    }
}
