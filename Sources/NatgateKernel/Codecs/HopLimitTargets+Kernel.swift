import NatgateModel

// Revision 0: struct ip6t_HL_info / ipt_TTL_info { __u8 mode; __u8 value; }, 2 bytes;
// mode 0 set, 1 increment, 2 decrement.
//   ip6tables-legacy -t mangle -A POSTROUTING -j HL --hl-inc 2     0102
//   iptables-legacy -t mangle -A POSTROUTING -j TTL --ttl-set 64   0040
enum HopCountKernel {
    static func encode(_ change: HopCountChange?) throws -> [UInt8] {
        guard let change else {
            throw ModelError(.missingArgument, input: "HL/TTL", "HL and TTL need a change to encode.")
        }
        return [change.mode, change.value]
    }

    static func decode(_ payload: ByteReader) throws -> HopCountChange {
        var payload = payload
        let mode = try payload.u8()
        let value = try payload.u8()
        guard let change = HopCountChange(mode: mode, value: value) else {
            throw ModelError(.invalidValue, input: "\(mode)", "HL/TTL mode \(mode) value \(value) is not something iptables writes.")
        }
        return change
    }
}

extension HLTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { 2 }
    public func encodePayload(context: ExtensionContext) throws -> [UInt8] { try HopCountKernel.encode(change) }
    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        try losslessTarget(HLTarget(try HopCountKernel.decode(payload)), payload: payload, context: context)
    }
}

extension TTLTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { 2 }
    public func encodePayload(context: ExtensionContext) throws -> [UInt8] { try HopCountKernel.encode(change) }
    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        try losslessTarget(TTLTarget(try HopCountKernel.decode(payload)), payload: payload, context: context)
    }
}
