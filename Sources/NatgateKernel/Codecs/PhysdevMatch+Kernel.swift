import NatgateModel

// Revision 0 (iptables-legacy 1.8.9), both families:
//   struct xt_physdev_info {             // 66 bytes
//       char physindev[IFNAMSIZ];        //  0: the name as written, `+` included
//       char in_mask[IFNAMSIZ];          // 16: 0xFF over strlen+1 bytes; over strlen−1 for NAME+
//       char physoutdev[IFNAMSIZ];       // 32
//       char out_mask[IFNAMSIZ];         // 48
//       __u8 invert;                     // 64: which of the bits below are negated
//       __u8 bitmask;                    // 65: OP_IN 1, OP_OUT 2, OP_BRIDGED 4, OP_ISIN 8, OP_ISOUT 0x10
//   };
extension PhysdevMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 66 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 66)
        for interface in [inInterface?.value, outInterface?.value] {
            writer.cString(interface?.rawValue ?? "", size: 16)
            writer.raw(Self.mask(interface))
        }
        var invert: UInt8 = 0
        var bitmask: UInt8 = 0
        func flag(_ bit: UInt8, given: Bool, negated: Bool) {
            if given { bitmask |= bit }
            if given && negated { invert |= bit }
        }
        flag(0x01, given: inInterface != nil, negated: inInterface?.negated == true)
        flag(0x02, given: outInterface != nil, negated: outInterface?.negated == true)
        flag(0x04, given: isBridged != nil, negated: isBridged == false)
        flag(0x08, given: isIn != nil, negated: isIn == false)
        flag(0x10, given: isOut != nil, negated: isOut == false)
        writer.u8(invert)
        writer.u8(bitmask)
        return writer.bytes
    }

    /// The mask `xtables_parse_interface` builds for a name.
    static func mask(_ interface: InterfaceName?) -> [UInt8] {
        guard let interface else { return Array(repeating: 0, count: 16) }
        let length = interface.rawValue.utf8.count
        let ones = interface.isWildcard ? length - 1 : length + 1
        return Array(repeating: 0xFF, count: ones) + Array(repeating: 0, count: 16 - ones)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let inName = try payload.cString(size: 16)
        try payload.skip(16)
        let outName = try payload.cString(size: 16)
        try payload.skip(16)
        let invert = try payload.u8()
        let bitmask = try payload.u8()
        var match = PhysdevMatch()
        if bitmask & 0x01 != 0 { match.inInterface = Negatable(try InterfaceName(inName), negated: invert & 0x01 != 0) }
        if bitmask & 0x02 != 0 { match.outInterface = Negatable(try InterfaceName(outName), negated: invert & 0x02 != 0) }
        if bitmask & 0x04 != 0 { match.isBridged = invert & 0x04 == 0 }
        if bitmask & 0x08 != 0 { match.isIn = invert & 0x08 == 0 }
        if bitmask & 0x10 != 0 { match.isOut = invert & 0x10 == 0 }
        return try lossless(match, from: payload, context: context)
    }
}
