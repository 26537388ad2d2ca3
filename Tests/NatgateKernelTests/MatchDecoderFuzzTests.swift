import NatgateKernel
import NatgateModel
import Testing

/// Whatever bytes the kernel returns, the match decoders throw or decode; they never trap. A
/// decoded match re-encodes to the same payload whenever it encodes at all.
@Suite struct MatchDecoderFuzzTests {
    static let codecs: [any KernelMatchCodec.Type] = [
        ConntrackMatch.self, StateMatch.self, CommentMatch.self, TCPMatch.self, UDPMatch.self, ICMPMatch.self,
        ICMPv6Match.self, MultiportMatch.self, AddrtypeMatch.self, MarkMatch.self, ConnmarkMatch.self,
    ]

    @Test func randomPayloadsNeverTrap() throws {
        var random = SystemRandomNumberGenerator()
        for codec in Self.codecs {
            for family in codec.families {
                let size = codec.payloadSize(for: family)
                let context = ExtensionContext(family: family, ipProtocol: .tcp)
                for round in 0..<2000 {
                    // Mostly sparse payloads (a few bytes set, as real ones are), some dense, some short.
                    var bytes = [UInt8](repeating: 0, count: round % 50 == 0 ? Int.random(in: 0..<size, using: &random) : size)
                    let writes = round % 3 == 0 ? bytes.count : Int.random(in: 0...4, using: &random)
                    for _ in 0..<writes where !bytes.isEmpty {
                        bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                    }
                    guard let match = try? codec.decode(payload: ByteReader(bytes), revision: codec.revision(for: family), context: context),
                          let typed = match.base as? any KernelMatchCodec,
                          let encoded = try? typed.encodePayload(context: context)
                    else { continue }
                    #expect(encoded.count == type(of: typed).payloadSize(for: family), "\(codec.name): \(bytes)")
                    // Bytes that decode, and whose match encodes, come back unchanged, except where a
                    // field has a canonical form: tail padding (iptables writes zeros), IPv4 masks
                    // and unused address bytes, unused multiport slots.
                    let meaningful: Int? = [
                        "tcp": 12, "udp": 9, "icmp": 4, "icmp6": 4, "mark": 9, "connmark": 9, "addrtype": 8,
                    ][codec.name]
                    if let meaningful, bytes.count == size {
                        #expect(Array(encoded.prefix(meaningful)) == Array(bytes.prefix(meaningful)), "\(codec.name): \(bytes)")
                    }
                }
            }
        }
    }
}
