import NatgateModel

// mark and connmark, revision 1, 12 bytes (16 in the entry), the same layout:
//   struct xt_mark_mtinfo1 / xt_connmark_mtinfo1 {
//       __u32 mark, mask;   // 0, 4: host order
//       __u8 invert;        // 8: 1 when negated
//   };                      //    + 3 bytes of tail padding
enum MarkLayout {
    static func encode(_ mark: Negatable<MarkPattern>?, name: String) throws -> [UInt8] {
        guard let mark else {
            throw ModelError(.missingArgument, input: name, "-m \(name) without --mark cannot be written to the kernel: give the mark to match.")
        }
        var writer = ByteWriter(capacity: 12)
        writer.u32(mark.value.value)
        writer.u32(mark.value.mask)
        writer.u8(mark.negated ? 1 : 0)
        writer.zeros(3)
        return writer.bytes
    }

    static func decode(_ payload: ByteReader) throws -> Negatable<MarkPattern> {
        var reader = payload
        let value = try reader.u32()
        let mask = try reader.u32()
        let invert = try reader.u8()
        guard invert <= 1 else { throw unknownBits("mark", "invert", invert) }
        return Negatable(MarkPattern(value, mask: mask), negated: invert != 0)
    }
}

extension MarkMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 12 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try MarkLayout.encode(mark, name: Self.name)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var match = MarkMatch()
        match.mark = try MarkLayout.decode(payload)
        return Match(match)
    }
}

extension ConnmarkMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 12 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try MarkLayout.encode(mark, name: Self.name)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var match = ConnmarkMatch()
        match.mark = try MarkLayout.decode(payload)
        return Match(match)
    }
}
