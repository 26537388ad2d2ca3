import NatgateModel

// Revision 0 (iptables-legacy 1.8.9), both families:
//   struct xt_mac_info {                 // 12 bytes
//       unsigned char srcaddr[ETH_ALEN]; //  0: the address, wire order
//                                        //  6: 2 bytes padding
//       int invert;                      //  8: 1 for `!`
//   };
extension MacMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 12 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 12)
        writer.raw(source.value.bytes)
        writer.zeros(2)
        writer.u32(source.negated ? 1 : 0)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let address = MACAddress(bytes: try payload.raw(6))
        try payload.skip(2)
        let invert = try payload.u32()
        return try lossless(MacMatch(source: address, negated: invert != 0), from: payload, context: context)
    }
}
