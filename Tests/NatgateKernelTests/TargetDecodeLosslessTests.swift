import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// A target codec either decodes a payload into a value that encodes back to the very same bytes,
/// or refuses it (and the backend keeps the entry as opaque bytes): whatever the kernel holds is
/// never rewritten differently. Payloads are valid encodings with random bytes changed, so that
/// most of them come close to what a codec accepts.
@Suite struct TargetDecodeLosslessTests {
    struct Seed: Sendable, CustomTestStringConvertible {
        var codec: any KernelTargetCodec.Type
        var family: Family
        var payload: [UInt8]
        var testDescription: String { "\(codec.name) \(family)" }
    }

    static func seeds() throws -> [Seed] {
        func encoded(_ target: some KernelTargetCodec, _ family: Family, _ proto: IPProtocol? = .tcp) throws -> Seed {
            Seed(codec: type(of: target), family: family, payload: try target.encodePayload(context: ExtensionContext(family: family, ipProtocol: proto)))
        }
        let v4 = IPAddress.v4(IPv4Address(192, 0, 2, 1)), v6 = try IPAddress.v6(IPv6Address("2001:db8::1"))
        var seeds: [Seed] = []
        for family in Family.allCases {
            let address = family == .ipv4 ? v4 : v6
            seeds += [
                try encoded(MasqueradeTarget(ports: PortRange(1000), random: true), family),
                try encoded(SNATTarget(source: NATRange(address, ports: PortRange(lower: 1, upper: 9)), randomFully: true), family),
                try encoded(DNATTarget(destination: NATRange(addresses: .init(address), ports: PortRange(lower: 80, upper: 90), portBase: 85)), family),
                try encoded(RedirectTarget(ports: PortRange(8080)), family),
                try encoded(RejectTarget(with: family == .ipv4 ? .ipv4(.hostProhibited) : .ipv6(.noRoute)), family),
                try encoded(LogTarget(level: 3, prefix: "x: ", flags: [.uid]), family),
                try encoded(MarkTarget(.set(0x10, mask: 0xF0)), family),
                try encoded(ConnmarkTarget(mode: .restore, ctmask: 0xFF, nfmask: 0xF, shiftDirection: .right, shiftBits: 4), family),
                try encoded(ChecksumTarget(fill: true), family),
                try encoded(TCPMSSTarget(.mss(1400)), family),
                try encoded(CTTarget(notrack: true, helper: "ftp", events: [.new, .mark], zone: 5, zoneDirections: .reply), family),
                try encoded(NotrackTarget(), family),
            ]
            seeds.append(family == .ipv4 ? try encoded(TTLTarget(.decrement(3)), family) : try encoded(HLTarget(.set(64)), family))
        }
        return seeds
    }

    @Test func decodedValuesEncodeToTheSameBytes() throws {
        var random = SeededRandom(seed: 0x6E61_7467_6174_6521)
        var decodedCount = 0, refusedCount = 0
        for seed in try Self.seeds() {
            let userspace = seed.codec.userspaceSize(for: seed.family)
            for round in 0..<400 {
                var payload = seed.payload
                for _ in 0..<(1 + Int(random.next() % 3)) {
                    let index = Int(random.next() % UInt64(userspace))
                    payload[index] = random.next() % 4 == 0 ? 0 : UInt8(truncatingIfNeeded: random.next())
                }
                let context = ExtensionContext(family: seed.family, ipProtocol: .tcp)
                guard let target = try? seed.codec.decode(payload: ByteReader(payload), revision: seed.codec.revision(for: seed.family), context: context) else {
                    refusedCount += 1
                    continue
                }
                decodedCount += 1
                guard let codec = target.base as? any KernelTargetCodec else {
                    Issue.record("\(seed.testDescription) round \(round): decoded to an untyped target")
                    continue
                }
                let again = try? codec.encodePayload(context: context)
                #expect(again.map { Array($0.prefix(userspace)) } == Array(payload.prefix(userspace)),
                        "\(seed.testDescription) round \(round): \(payload) decoded as `\(target)`, which encodes as \(again.map { "\($0)" } ?? "an error")")
            }
        }
        // Both outcomes occur, so the property is exercised on each side.
        #expect(decodedCount > 1000 && refusedCount > 100)
    }
}

