import NatgateModel

// hl, IPv6, revision 0:              ttl, IPv4, revision 0:
//   struct ip6t_hl_info {              struct ipt_ttl_info {    // 2 bytes
//       __u8 mode;                         __u8 mode;           // 0: 0 eq, 1 ne, 2 lt, 3 gt
//       __u8 hop_limit;                    __u8 ttl;            // 1
//   };                                 };
extension HopLimitMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 2 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        [condition.mode, condition.value]
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        try lossless(HopLimitMatch(try HopCountCondition.decode(payload, extensionName: name)), from: payload, context: context)
    }
}

extension TTLMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 2 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        [condition.mode, condition.value]
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        try lossless(TTLMatch(try HopCountCondition.decode(payload, extensionName: name)), from: payload, context: context)
    }
}

extension HopCountCondition {
    static func decode(_ payload: ByteReader, extensionName: String) throws -> HopCountCondition {
        var payload = payload
        let mode = try payload.u8()
        let value = try payload.u8()
        guard let condition = HopCountCondition(mode: mode, value: value) else {
            throw ModelError(.invalidValue, input: "\(mode)", "\(extensionName): the kernel entry has comparison mode \(mode), which iptables 1.8.9 does not know.")
        }
        return condition
    }
}
