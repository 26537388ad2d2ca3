import NatgateModel

// Revision 0 for both families (layouts in NATRange+Kernel.swift):
//   -A OUTPUT -p tcp -j REDIRECT --to-ports 8080 --random
//   01000000 06000000 00000000 00000000 1f901f90      IPv4: rangesize 1, flags 0x06, no ips, ports 8080-8080
//   -A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090           (ip6tables)
//   02000000 00000000 … 00000000 1f901f9a             IPv6: flags 0x02, no addresses, ports 8080-8090
extension RedirectTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { family == .ipv4 ? 20 : 40 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        let range = KernelNATRange(nil, ports: ports, flags: random ? NATFlags.random : 0)
        return context.family == .ipv4 ? range.encodeIPv4Compat() : range.encodeRange(version2: false)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        let range = context.family == .ipv4
            ? try KernelNATRange.decodeIPv4Compat(payload) : try KernelNATRange.decodeRange(payload, version2: false)
        guard range.flags & ~(NATFlags.protoSpecified | NATFlags.random) == 0 else {
            throw ModelError(.invalidValue, input: "0x\(String(range.flags, radix: 16))", "REDIRECT flags 0x\(String(range.flags, radix: 16)) hold bits natgate does not model.")
        }
        return try losslessTarget(RedirectTarget(ports: try range.range(family: context.family)?.ports, random: range.flags & NATFlags.random != 0), payload: payload, context: context)
    }
}
