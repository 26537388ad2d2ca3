import NatgateModel

// Revision 0 (iptables-legacy 1.8.9), both families:
//   struct xt_rateinfo {                 // 40 bytes
//       __u32 avg;                       //  0: period between packets, 1/10000 s (XT_LIMIT_SCALE)
//       __u32 burst;                     //  4
//       unsigned long prev;              //  8: kernel's (zero from userspace)
//       __u32 credit;                    // 16: kernel's
//       __u32 credit_cap, cost;          // 20, 24: kernel's
//                                        // 28: 4 bytes padding
//       struct xt_limit_priv *master;    // 32: kernel's
//   };
// userspacesize = offsetof(prev) = 8: only avg and burst are compared.
extension LimitMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 40 }
    public static func userspaceSize(for family: Family) -> Int { 8 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 40)
        writer.u32(rate.period)
        writer.u32(burst)
        writer.zeros(32)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let period = try payload.u32()
        let burst = try payload.u32()
        return try lossless(LimitMatch(rate: Rate(period: period), burst: burst), from: payload, context: context)
    }
}
