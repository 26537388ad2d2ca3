import NatgateModel

// Revision 1, 48 bytes:
//   struct xt_multiport_v1 {
//       __u8 flags;                       //  0: SOURCE 0, DESTINATION 1, EITHER 2
//       __u8 count;                       //  1: slots used (a range takes two)
//       __u16 ports[XT_MULTI_PORTS];      //  2: 15 ports, host order, unused ones 0
//       __u8 pflags[XT_MULTI_PORTS];      // 32: 1 where a slot starts a range (the next slot ends it)
//       __u8 invert;                      // 47: 1 when negated
//   };
extension MultiportMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 48 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        var slots: [UInt16] = []
        var rangeStarts: [UInt8] = []
        for port in ports {
            if port.isSinglePort {
                slots.append(port.lower)
                rangeStarts.append(0)
            } else {
                slots += [port.lower, port.upper]
                rangeStarts += [1, 0]
            }
        }
        var writer = ByteWriter(capacity: 48)
        writer.u8(direction == .source ? 0 : direction == .destination ? 1 : 2)
        writer.u8(UInt8(slots.count))
        for index in 0..<Self.slotCount { writer.u16(index < slots.count ? slots[index] : 0) }
        for index in 0..<Self.slotCount { writer.u8(index < rangeStarts.count ? rangeStarts[index] : 0) }
        writer.u8(negated ? 1 : 0)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var reader = payload
        let flags = try reader.u8()
        let count = Int(try reader.u8())
        let slots = try (0..<slotCount).map { _ in try reader.u16() }
        let rangeStarts = try reader.raw(slotCount)
        let invert = try reader.u8()
        guard invert <= 1 else { throw unknownBits("multiport", "invert", invert) }
        guard flags <= 2, count <= slotCount else {
            throw ModelError(.invalidValue, input: "\(flags)/\(count)", "the kernel's multiport match holds flags \(flags) and count \(count), which natgate does not know.")
        }
        var ports: [PortRange] = []
        var index = 0
        while index < count {
            if rangeStarts[index] != 0, index + 1 < count {
                ports.append(try PortRange(lower: slots[index], upper: slots[index + 1]))
                index += 2
            } else {
                ports.append(PortRange(slots[index]))
                index += 1
            }
        }
        let direction: Direction = flags == 0 ? .source : flags == 1 ? .destination : .either
        return Match(MultiportMatch(direction, ports: ports, negated: invert != 0))
    }
}
