import NatgateModel

// Revision 0 for both families (layouts in NATRange+Kernel.swift):
//   -A OUTPUT -p tcp -j REDIRECT --to-ports 8080 --random
//   01000000 06000000 00000000 00000000 1f901f90      IPv4: rangesize 1, flags 0x06, no ips, ports 8080-8080
//   -A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090           (ip6tables)
//   02000000 00000000 … 00000000 1f901f9a             IPv6: flags 0x02, no addresses, ports 8080-8090
extension RedirectTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { family == .ipv4 ? 20 : 40 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        KernelNATRange(nil, ports: ports, flags: random ? NATFlags.random : 0).encodePortsOnly(family: context.family)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        let (ports, flags) = try KernelNATRange.decodePortsOnly(payload, family: context.family, allowing: NATFlags.random, target: name)
        return try losslessTarget(RedirectTarget(ports: ports, random: flags & NATFlags.random != 0), payload: payload, context: context)
    }
}
