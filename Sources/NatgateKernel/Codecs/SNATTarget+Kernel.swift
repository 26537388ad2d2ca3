import NatgateModel

// IPv4 revision 0: nf_nat_ipv4_multi_range_compat, 20 bytes (layout in NATRange+Kernel.swift).
//   -A POSTROUTING -p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent
//   01000000 1f000000 c0000201 c0000209 03e807d0      rangesize 1, flags 0x1f, min/max ip, min/max port
// IPv6 revision 1: nf_nat_range, 40 bytes.
//   -A POSTROUTING -p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully
//   13000000 20010db8 00000000 00000000 00000001 20010db8 00000000 00000000 00000005 03e807d0
extension SNATTarget: KernelTargetCodec {
    public static func revision(for family: Family) -> UInt8 { family == .ipv4 ? 0 : 1 }
    public static func payloadSize(for family: Family) -> Int { family == .ipv4 ? 20 : 40 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        let flags = (random ? NATFlags.random : 0) | (randomFully ? NATFlags.randomFully : 0) | (persistent ? NATFlags.persistent : 0)
        let range = KernelNATRange(source, flags: flags)
        return context.family == .ipv4 ? range.encodeIPv4Compat() : range.encodeRange(version2: false)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        let range = context.family == .ipv4
            ? try KernelNATRange.decodeIPv4Compat(payload) : try KernelNATRange.decodeRange(payload, version2: false)
        return try losslessTarget(
            SNATTarget(
                source: try range.range(family: context.family), random: range.flags & NATFlags.random != 0,
                randomFully: range.flags & NATFlags.randomFully != 0, persistent: range.flags & NATFlags.persistent != 0), payload: payload, context: context)
    }
}
