import NatgateModel

// Revision 0 (iptables-legacy 1.8.9), both families:
//   struct xt_statistic_info {           // 24 bytes
//       __u16 mode;                      //  0: 0 random, 1 nth
//       __u16 flags;                     //  2: 1 = XT_STATISTIC_INVERT
//       union {
//           struct { __u32 probability; } random;            //  4: lround(P × 2^31)
//           struct { __u32 every, packet, count; } nth;      //  4: N − 1, 8: P, 12: count
//       } u;
//       struct xt_statistic_priv *master;                    // 16: kernel's (aligned 8)
//   };
// userspacesize = offsetof(u.nth.count) = 12. iptables still writes count = every − packet
// (in random mode: probability − 0, through the union), so natgate writes it too.
extension StatisticMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 24 }
    public static func userspaceSize(for family: Family) -> Int { 12 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 24)
        let first: UInt32
        let packet: UInt32
        switch mode {
        case .random(let probability):
            writer.u16(0)
            first = probability
            packet = 0
        case .nth(let every, let start):
            writer.u16(1)
            first = every &- 1
            packet = start
        }
        writer.u16(inverted ? 1 : 0)
        writer.u32(first)
        writer.u32(packet)
        writer.u32(first &- packet)
        writer.zeros(8)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let modeNumber = try payload.u16()
        let flags = try payload.u16()
        let first = try payload.u32()
        let packet = try payload.u32()
        let mode: Mode
        switch modeNumber {
        case 0: mode = .random(probability: first)
        case 1: mode = .nth(every: first &+ 1, packet: packet)
        default: throw ModelError(.invalidValue, input: "\(modeNumber)", "statistic: the kernel entry has mode \(modeNumber), which iptables 1.8.9 does not know.")
        }
        return try lossless(StatisticMatch(mode: mode, inverted: flags & 1 != 0), from: payload, context: context)
    }
}
