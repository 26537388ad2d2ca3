import Testing
import NatgateKernel
import NatgateModel

/// Hex groups such as "01000000 c0000201" as bytes.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// Builds a target from the option words after `-j NAME`, validating it as a rule would.
func target<T: KernelTargetCodec>(_ type: T.Type, _ words: [String], family: Family, protocol ipProtocol: IPProtocol?) throws -> T {
    let context = ExtensionContext(family: family, ipProtocol: ipProtocol)
    var value = T()
    var index = 0
    while index < words.count {
        let count = T.option(named: words[index])?.argumentCount ?? 0
        try value.parse(ParsedOption(name: words[index], arguments: Array(words[(index + 1)..<(index + 1 + count)])), context: context)
        index += 1 + count
    }
    try value.validate(context: context)
    return value
}

/// Encodes `words` as `-j T words`, checks the bytes, decodes them back and checks the model and
/// its saved text are unchanged.
func check<T: KernelTargetCodec>(
    _ type: T.Type, _ words: String, family: Family = .ipv4, protocol ipProtocol: IPProtocol? = nil, revision: UInt8 = 0,
    expect expected: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
    let value = try target(type, words.split(separator: " ").map(String.init), family: family, protocol: ipProtocol)
    let context = ExtensionContext(family: family, ipProtocol: ipProtocol)
    let bytes = try value.encodePayload(context: context)
    let size = T.payloadSize(for: family)
    #expect(bytes.count == size, sourceLocation: sourceLocation)
    #expect(bytes == Array(hex(expected).prefix(size)), sourceLocation: sourceLocation)
    #expect(T.revision(for: family) == revision, sourceLocation: sourceLocation)
    #expect(KernelCodecRegistry.standard.targetCodec(kernelName: T.kernelName, revision: revision, family: family) == T.self, sourceLocation: sourceLocation)
    let decoded = try T.decode(payload: ByteReader(bytes + [0, 0, 0, 0]), revision: revision, context: context)
    #expect(decoded == Target(value), sourceLocation: sourceLocation)
    var original = SaveWriter(), again = SaveWriter()
    value.save(to: &original, context: context)
    decoded.base.save(to: &again, context: context)
    #expect(again.text == original.text, sourceLocation: sourceLocation)
}
