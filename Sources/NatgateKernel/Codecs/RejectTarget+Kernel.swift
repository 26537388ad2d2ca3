import NatgateModel

// Revision 0: struct ipt_reject_info / ip6t_reject_info { u32 with; }, 4 bytes, host order.
//   -A INPUT -p tcp -j REJECT --reject-with tcp-reset          (iptables)   07000000
//   -A INPUT -j REJECT --reject-with icmp6-adm-prohibited      (ip6tables)  01000000
extension RejectTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { 4 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        switch effectiveType(for: context.family) {
        case .ipv4(let type) where context.family == .ipv4: writer.u32(type.rawValue)
        case .ipv6(let type) where context.family == .ipv6: writer.u32(type.rawValue)
        case let type:
            throw ModelError(.invalidValue, input: type.description, "--reject-with \(type) belongs to the other family than this \(context.family) rule.")
        }
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let value = try payload.u32()
        let type: RejectType? =
            context.family == .ipv4 ? IPv4Type(rawValue: value).map(RejectType.ipv4) : IPv6Type(rawValue: value).map(RejectType.ipv6)
        guard let type else {
            throw ModelError(.invalidValue, input: "\(value)", "REJECT type \(value) is not one iptables can write for \(context.family).")
        }
        return try losslessTarget(RejectTarget(with: type), payload: payload, context: context)
    }
}
