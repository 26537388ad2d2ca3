import NatgateKernel
import NatgateModel

/// Bytes written as hex pairs separated by blanks or new lines ("c0 d4 01 00"), as the throwaway
/// libiptc dumper printed them; `zeros` more zero bytes follow.
func payloadHex(_ text: String, zeros: Int = 0) -> [UInt8] {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! } + Array(repeating: 0, count: zeros)
}

/// Encodes `match`, checks the size the codec declares, decodes the bytes back and returns both.
func roundTrip<T: KernelMatchCodec>(_ match: T, family: Family = .ipv4) throws -> (bytes: [UInt8], decoded: Match) {
    let context = ExtensionContext(family: family)
    let bytes = try match.encodePayload(context: context)
    let decoded = try T.decode(payload: ByteReader(bytes), revision: T.revision(for: family), context: context)
    return (bytes, decoded)
}
