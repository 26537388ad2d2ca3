import NatgateModel

// Revision 0 for both families (layouts in NATRange+Kernel.swift):
//   IPv4: nf_nat_ipv4_multi_range_compat, 20 bytes: rangesize 1, flags, min_ip 0, max_ip 0, min port, max port.
//   IPv6: nf_nat_range, 40 bytes: flags, min_addr 0, max_addr 0, min port, max port.
// flags: PROTO_SPECIFIED 0x02 with --to-ports, PROTO_RANDOM 0x04, PROTO_RANDOM_FULLY 0x10.
extension MasqueradeTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { family == .ipv4 ? 20 : 40 }

    var kernelRange: KernelNATRange {
        KernelNATRange(nil, ports: ports, flags: (random ? NATFlags.random : 0) | (randomFully ? NATFlags.randomFully : 0))
    }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        context.family == .ipv4 ? kernelRange.encodeIPv4Compat() : kernelRange.encodeRange(version2: false)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        let range = context.family == .ipv4
            ? try KernelNATRange.decodeIPv4Compat(payload) : try KernelNATRange.decodeRange(payload, version2: false)
        guard range.flags & ~(NATFlags.protoSpecified | NATFlags.random | NATFlags.randomFully) == 0 else {
            throw ModelError(.invalidValue, input: "0x\(String(range.flags, radix: 16))", "MASQUERADE flags 0x\(String(range.flags, radix: 16)) hold bits natgate does not model.")
        }
        return try losslessTarget(MasqueradeTarget(ports: try range.range(family: context.family)?.ports, random: range.flags & NATFlags.random != 0, randomFully: range.flags & NATFlags.randomFully != 0), payload: payload, context: context)
    }
}
