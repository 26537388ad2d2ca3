import NatgateModel

// Revision 2 for both families: nf_nat_range2, 44 bytes (layout in NATRange+Kernel.swift).
//   -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80-90/85
//   23000000 c0000201 00000000 00000000 00000000      flags 0x23, min_addr (IPv4 in the first 4 bytes)
//   c0000201 00000000 00000000 00000000               max_addr
//   0050005a 00550000                                 min 80, max 90, base 85, padding
extension DNATTarget: KernelTargetCodec {
    public static func revision(for family: Family) -> UInt8 { 2 }
    public static func payloadSize(for family: Family) -> Int { 44 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        let flags = (random ? NATFlags.random : 0) | (persistent ? NATFlags.persistent : 0)
        return KernelNATRange(destination, flags: flags).encodeRange(version2: true)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        let range = try KernelNATRange.decodeRange(payload, version2: true)
        guard range.flags & NATFlags.randomFully == 0 else {
            throw ModelError(.invalidValue, input: "0x\(String(range.flags, radix: 16))", "DNAT with PROTO_RANDOM_FULLY is not something iptables writes; kept as bytes.")
        }
        return try losslessTarget(
            DNATTarget(
                destination: try range.range(family: context.family, allowingPortBase: true),
                random: range.flags & NATFlags.random != 0, persistent: range.flags & NATFlags.persistent != 0), payload: payload, context: context)
    }
}
