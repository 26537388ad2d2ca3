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
        kernelRange.encodePortsOnly(family: context.family)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        let (ports, flags) = try KernelNATRange.decodePortsOnly(
            payload, family: context.family, allowing: NATFlags.random | NATFlags.randomFully, target: name)
        return try losslessTarget(MasqueradeTarget(ports: ports, random: flags & NATFlags.random != 0, randomFully: flags & NATFlags.randomFully != 0), payload: payload, context: context)
    }
}

extension KernelNATRange {
    /// Writes the revision-0 range MASQUERADE and REDIRECT take: the IPv4 compat form, or IPv6 `nf_nat_range`.
    func encodePortsOnly(family: Family) -> [UInt8] {
        family == .ipv4 ? encodeIPv4Compat() : encodeRange(version2: false)
    }

    /// Reads the revision-0 range MASQUERADE and REDIRECT take, refusing flags other than
    /// PROTO_SPECIFIED and `allowed`; returns the ports and the flags.
    static func decodePortsOnly(_ payload: ByteReader, family: Family, allowing allowed: UInt32, target name: String) throws -> (PortRange?, UInt32) {
        let range = family == .ipv4 ? try decodeIPv4Compat(payload) : try decodeRange(payload, version2: false)
        guard range.flags & ~(NATFlags.protoSpecified | allowed) == 0 else {
            throw ModelError(.invalidValue, input: "0x\(String(range.flags, radix: 16))", "\(name) flags 0x\(String(range.flags, radix: 16)) hold bits natgate does not model.")
        }
        return (try range.range(family: family)?.ports, range.flags)
    }
}
