import NatgateModel

// struct xt_comment_info { char comment[XT_MAX_COMMENT_LEN /* 256 */]; };
// Revision 0, 256 bytes: the text NUL-padded.
extension CommentMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 256 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.cString(comment, size: 256)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        var match = CommentMatch()
        match.comment = try payload.cString(size: 256)
        return Match(match)
    }
}
