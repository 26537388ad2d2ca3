import Logging
import NatgateModel

/// Turns kernel entries back into model rules.
///
/// Matches and targets with a codec become typed values; any other (or one whose codec cannot
/// read it) becomes an `UnknownMatch`/`UnknownTarget` that carries its bytes in a `KernelBlob`,
/// which `EntryEncoder` writes back byte for byte, so a rule natgate does not understand survives
/// every change natgate makes around it.
struct EntryDecoder {
    let family: Family
    let codecs: KernelCodecRegistry
    var logger: Logger?
    /// Where `-m set` indexes become set names: the calling thread's namespace, the one being
    /// read when the decoder runs inside `NetworkNamespace.run`.
    var ipSets = IPSetNames(KernelIPSetResolver())
    /// Names and codecs already looked up: a table repeats a few of each thousands of times, and
    /// validating names and searching the registry dominate decoding otherwise.
    private let cache = Cache()

    init(family: Family, codecs: KernelCodecRegistry, logger: Logger? = nil) {
        self.family = family
        self.codecs = codecs
        self.logger = logger
    }

    private final class Cache {
        var interfaces: [String: InterfaceName] = [:]
        var chains: [String: ChainName] = [:]
        var matchCodecs: [String: (any KernelMatchCodec.Type)?] = [:]
        var targetCodecs: [String: (any KernelTargetCodec.Type)?] = [:]
    }

    private func chainName(_ text: String) -> ChainName? {
        if let known = cache.chains[text] { return known }
        guard let name = try? ChainName(text) else { return nil }
        cache.chains[text] = name
        return name
    }

    private func matchCodec(_ part: EntryExtension) -> (any KernelMatchCodec.Type)? {
        let key = "\(part.name)/\(part.revision)"
        if let known = cache.matchCodecs[key] { return known }
        let codec = codecs.matchCodec(kernelName: part.name, revision: part.revision, family: family)
        cache.matchCodecs[key] = .some(codec)
        return codec
    }

    private func targetCodec(_ part: EntryExtension) -> (any KernelTargetCodec.Type)? {
        let key = "\(part.name)/\(part.revision)"
        if let known = cache.targetCodecs[key] { return known }
        let codec = codecs.targetCodec(kernelName: part.name, revision: part.revision, family: family)
        cache.targetCodecs[key] = .some(codec)
        return codec
    }

    /// Decodes one entry (`bytes`, `next_offset` long) whose target libiptc names `targetLabel`.
    func decode(_ bytes: [UInt8], targetLabel: String, table: TableName, chain: String) throws(KernelError) -> Rule {
        let layout = EntryLayout.of(family)
        let segments = try EntrySegments(bytes, layout: layout)
        var rule = Rule()
        let flags = bytes[layout.flags]
        let invert = bytes[layout.invertFlags]

        rule.source = decodeNetwork(bytes, address: layout.source, mask: layout.sourceMask, inverted: invert & EntryLayout.invertSource != 0, layout: layout)
        rule.destination = decodeNetwork(bytes, address: layout.destination, mask: layout.destinationMask, inverted: invert & EntryLayout.invertDestination != 0, layout: layout)
        rule.inInterface = try decodeInterface(bytes, at: layout.inInterface, inverted: invert & EntryLayout.invertIn != 0, table: table, chain: chain)
        rule.outInterface = try decodeInterface(bytes, at: layout.outInterface, inverted: invert & EntryLayout.invertOut != 0, table: table, chain: chain)
        let proto = bytes.loadU16(at: layout.proto)
        if proto != 0 || invert & EntryLayout.invertProto != 0 {
            rule.ipProtocol = Negatable(IPProtocol(number: UInt8(truncatingIfNeeded: proto)), negated: invert & EntryLayout.invertProto != 0)
        }
        if layout.fragmentFlag != 0, flags & layout.fragmentFlag != 0 {
            rule.fragment = invert & EntryLayout.invertFragment != 0 ? .nonFragmentsOnly : .fragmentsOnly
        }
        rule.counters = Counters(packets: bytes.loadU64(at: layout.counters), bytes: bytes.loadU64(at: layout.counters + 8))

        let tableChain = chainName(chain)
        var context = rule.extensionContext(family: family, table: table, chain: tableChain)
        context.ipSets = ipSets
        rule.matches = segments.matches.map { decodeMatch($0, bytes, context: context) }

        let target = segments.target
        if target.name.isEmpty {
            // A standard target: a verdict, a jump (libiptc names the chain), or none.
            switch targetLabel {
            case "": rule.target = nil
            case "ACCEPT": rule.target = .verdict(.accept)
            case "DROP": rule.target = .verdict(.drop)
            case "RETURN": rule.target = .verdict(.return)
            case "QUEUE": rule.target = .verdict(.queue)
            default:
                guard let destination = chainName(targetLabel) else {
                    throw KernelError(.malformedEntry, "A rule jumps to chain '\(targetLabel)', a name natgate cannot represent.",
                                      operation: .init(family: family, table: table, chain: chain))
                }
                rule.target = flags & layout.gotoFlag != 0 ? .goto(destination) : .jump(destination)
            }
        } else {
            rule.target = .extension(decodeTarget(target, bytes, context: context))
        }
        return rule
    }

    private func decodeNetwork(_ bytes: [UInt8], address: Int, mask: Int, inverted: Bool, layout: EntryLayout) -> Negatable<IPNetwork>? {
        let addressBytes = Array(bytes[address..<(address + layout.addressSize)])
        let maskBytes = Array(bytes[mask..<(mask + layout.addressSize)])
        if !inverted, maskBytes.allSatisfy({ $0 == 0 }), addressBytes.allSatisfy({ $0 == 0 }) { return nil }
        let network: IPNetwork
        if family == .ipv4 {
            let value = addressBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let maskValue = maskBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            network = .v4(IPv4Network(masking: IPv4Address(rawValue: value), mask: maskValue))
        } else {
            network = .v6(IPv6Network(masking: IPv6Address(bytes: addressBytes), mask: IPv6Address(bytes: maskBytes)))
        }
        return Negatable(network, negated: inverted)
    }

    private func decodeInterface(_ bytes: [UInt8], at offset: Int, inverted: Bool, table: TableName, chain: String) throws(KernelError) -> Negatable<InterfaceName>? {
        let name = bytes.cString(at: offset, size: 16)
        if name.isEmpty { return nil }
        if let known = cache.interfaces[name] { return Negatable(known, negated: inverted) }
        do {
            let interface = try InterfaceName(name)
            cache.interfaces[name] = interface
            return Negatable(interface, negated: inverted)
        } catch {
            throw KernelError(.malformedEntry, "A rule matches interface \(ModelError.quote(name)), a name natgate cannot represent: \(error)",
                              operation: .init(family: family, table: table, chain: chain))
        }
    }

    private func decodeMatch(_ part: EntryExtension, _ bytes: [UInt8], context: ExtensionContext) -> Match {
        let payload = Array(bytes[part.payloadRange])
        if let codec = matchCodec(part) {
            do {
                return try codec.decode(payload: ByteReader(payload), revision: part.revision, context: context)
            } catch {
                logger?.warning("cannot decode match; keeping its bytes", metadata: ["match": "\(part.name)", "error": "\(error)"])
            }
        }
        return Match(UnknownMatch(name: part.name, words: [], kernelBlob: KernelBlob(revision: part.revision, payload: payload)))
    }

    private func decodeTarget(_ part: EntryExtension, _ bytes: [UInt8], context: ExtensionContext) -> Target {
        let payload = Array(bytes[part.payloadRange])
        if let codec = targetCodec(part) {
            do {
                return try codec.decode(payload: ByteReader(payload), revision: part.revision, context: context)
            } catch {
                logger?.warning("cannot decode target; keeping its bytes", metadata: ["target": "\(part.name)", "error": "\(error)"])
            }
        }
        return Target(UnknownTarget(name: part.name, words: [], kernelBlob: KernelBlob(revision: part.revision, payload: payload)))
    }
}
