import NatgateKernel
import NatgateModel
import Testing

/// Whatever bytes the kernel returns, the host match decoders throw or decode, never trap; what
/// decodes encodes back to the same userspace bytes (recent: apart from what follows its name's
/// NUL), so an entry natgate cannot write back exactly is kept opaque instead.
@Suite struct HostMatchDecoderFuzzTests {
    static let codecs: [any KernelMatchCodec.Type] = [
        LimitMatch.self, StatisticMatch.self, PacketTypeMatch.self, MacMatch.self, TTLMatch.self, HopLimitMatch.self,
        IPRangeMatch.self, RecentMatch.self, OwnerMatch.self, PhysdevMatch.self, RoutingHeaderMatch.self,
    ]

    @Test func randomPayloadsNeverTrapAndDecodeLosslessly() throws {
        var random = SystemRandomNumberGenerator()
        for codec in Self.codecs {
            for family in codec.families {
                let size = codec.payloadSize(for: family)
                let context = ExtensionContext(family: family)
                // Start from the empty match's bytes (valid: rt's are not all zero), then change a few.
                let base = try codec.init().encodePayload(context: context)
                var decodedCount = 0
                for round in 0..<3000 {
                    // Mostly sparse changes (as real payloads are), some dense, some short payloads.
                    var bytes = round % 50 == 0 ? Array(base.prefix(Int.random(in: 0..<size, using: &random))) : base
                    let writes = round % 3 == 0 ? bytes.count : Int.random(in: 0...3, using: &random)
                    for _ in 0..<writes where !bytes.isEmpty {
                        bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                    }
                    guard let match = try? codec.decode(payload: ByteReader(bytes), revision: codec.revision(for: family), context: context),
                          let typed = match.base as? any KernelMatchCodec
                    else { continue }
                    decodedCount += 1
                    let encoded = try typed.encodePayload(context: context)
                    #expect(encoded.count == size, "\(codec.name)")
                    let userspace = min(codec.userspaceSize(for: family), bytes.count)
                    if codec != RecentMatch.self {
                        #expect(Array(encoded.prefix(userspace)) == Array(bytes.prefix(userspace)), "\(codec.name): \(bytes)")
                    }
                }
                // At least the unchanged payloads decode.
                #expect(decodedCount > 0, "\(codec.name) decoded nothing for \(family)")
            }
        }
    }

    @Test func strayBitsKeepTheEntryOpaque() {
        let context = ExtensionContext(family: .ipv4)
        // pkttype with invert 2, owner with an unknown match bit, mac with a padding byte set.
        #expect(throws: ModelError.self) { try PacketTypeMatch.decode(payload: ByteReader(payloadHex("00 00 00 00 02 00 00 00")), revision: 0, context: context) }
        #expect(throws: ModelError.self) { try OwnerMatch.decode(payload: ByteReader(payloadHex("", zeros: 16) + payloadHex("11 00 00 00")), revision: 1, context: context) }
        #expect(throws: ModelError.self) { try MacMatch.decode(payload: ByteReader(payloadHex("00 11 22 33 44 55 01 00 00 00 00 00")), revision: 0, context: context) }
        #expect(throws: ModelError.self) { try StatisticMatch.decode(payload: ByteReader(payloadHex("00 00 02 00", zeros: 20)), revision: 0, context: context) }
    }
}
