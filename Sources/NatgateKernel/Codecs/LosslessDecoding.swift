import NatgateModel

extension KernelMatchCodec {
    /// Returns `match` when it encodes back to the payload it was decoded from (the first
    /// `userspaceSize` bytes, apart from `ignoring`), and throws otherwise.
    ///
    /// A payload with bits iptables never writes (unknown flags, stray bytes in padding or unused
    /// fields) is not one natgate can print or write back faithfully; throwing makes the backend
    /// keep the whole entry as opaque bytes instead of silently dropping those bits.
    static func lossless(_ match: Self, from payload: ByteReader, context: ExtensionContext, ignoring: [Range<Int>] = []) throws -> Match {
        let size = min(userspaceSize(for: context.family), payload.bytes.count)
        let encoded = try match.encodePayload(context: context)
        for offset in 0..<size where encoded[offset] != payload.bytes[offset] && !ignoring.contains(where: { $0.contains(offset) }) {
            throw ModelError(
                .invalidValue, input: "\(name)",
                "the kernel's \(name) match has byte 0x\(String(payload.bytes[offset], radix: 16)) at offset \(offset) of its payload, which iptables 1.8.9 never writes there; natgate keeps the entry as it is.")
        }
        return Match(match)
    }
}
