import NatgateKernel
import NatgateModel

/// Reads back the rules iptables-nft (or natgate's `NFTRuleEncoder`) wrote: the expressions of an
/// nf_tables rule → the model's `Rule`, the inverse of the encoder.
///
/// A decoded rule is accepted only when the encoder turns it back into exactly the expressions it
/// came from; anything else (expressions iptables-nft does not write, in an order it does not
/// write them, or that would read as something else) is refused with `.refused`, never misread.
/// An xt `match`/`target` natgate has no codec for is kept verbatim, as an `UnknownMatch` /
/// `UnknownTarget` carrying its bytes, as the libiptc side keeps unknown extensions.
public struct NFTRuleDecoder: Sendable {
    /// The codecs that decode xt match and target payloads.
    public var codecs: KernelCodecRegistry
    /// Where `-m set` indexes become set names: by default the ip sets of the calling thread's
    /// network namespace (decode inside the namespace the rules were read from).
    public var ipSets: IPSetNames

    /// A decoder with `codecs`.
    public init(codecs: KernelCodecRegistry = .standard, ipSets: IPSetNames = IPSetNames(KernelIPSetResolver())) {
        self.codecs = codecs
        self.ipSets = ipSets
    }

    /// The model rule of `rule`, which is in `table` of an `ip` or `ip6` table.
    public func decode(_ rule: NFTRule) throws(NFTError) -> Rule {
        let family: Family
        switch rule.family {
        case .ip: family = .ipv4
        case .ip6: family = .ipv6
        default: throw NFTError(.refused, "\(rule.family) \(rule.table) \(rule.chain) handle \(rule.handle): natgate reads only the ip and ip6 tables iptables-nft writes.")
        }
        func refuse(_ message: String) -> NFTError {
            NFTError(.refused, "\(rule.family) \(rule.table) \(rule.chain) handle \(rule.handle): \(message) Leave this rule to nft; natgate does not read it as an iptables rule.")
        }
        guard let table = TableName(rawValue: rule.table), let chain = try? ChainName(rule.chain) else {
            throw refuse("'\(rule.table)' is not an iptables table or '\(rule.chain)' not an iptables chain name.")
        }
        var result = Rule()
        var index = 0
        let expressions = rule.expressions
        /// The `cmp` on register 1 at `index`, consumed.
        func takeCmp() -> (NFTExpression.CmpOperator, [UInt8])? {
            guard index < expressions.count, case .cmp(1, let op, let data) = expressions[index], op == .eq || op == .neq else { return nil }
            index += 1
            return (op, data)
        }
        func takeBitwise() -> [UInt8]? {
            guard index < expressions.count, case .bitwise(1, 1, _, let mask, let xor) = expressions[index], xor.allSatisfy({ $0 == 0 }) else { return nil }
            index += 1
            return mask
        }
        /// The native tcp or udp match being assembled, and its place among the matches.
        var transport: (position: Int, source: Negatable<PortRange>?, destination: Negatable<PortRange>?, flags: Negatable<TCPFlagTest>?)?
        func port(_ bytes: [UInt8]) -> UInt16 { bytes.count == 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : 0 }

        while index < expressions.count {
            let expression = expressions[index]
            index += 1
            switch expression {
            case .meta(let key, 1, true) where key == .iifname || key == .oifname:
                var name = "+", negated = false
                if let (op, data) = takeCmp() {
                    negated = op == .neq
                    name = data.last == 0 ? String(decoding: data.dropLast(), as: UTF8.self) : String(decoding: data, as: UTF8.self) + "+"
                }
                guard let interface = try? InterfaceName(name) else { throw refuse("'\(name)' is not an interface name iptables accepts.") }
                if key == .iifname { result.inInterface = Negatable(interface, negated: negated) } else { result.outInterface = Negatable(interface, negated: negated) }
            case .meta(.l4proto, 1, true):
                guard let (op, data) = takeCmp(), data.count == 1 else { throw refuse("meta l4proto is not compared with one byte.") }
                result.ipProtocol = Negatable(IPProtocol(number: data[0]), negated: op == .neq)
            case .meta(.mark, 1, true):
                let mask = takeBitwise()
                guard let (op, data) = takeCmp(), data.count == 4, mask == nil || mask!.count == 4 else { throw refuse("meta mark is not compared as iptables-nft writes -m mark.") }
                let value = NFTRuleDecoder.le32(data)
                result.matches.append(Match(MarkMatch(MarkPattern(value, mask: mask.map(NFTRuleDecoder.le32) ?? .max), negated: op == .neq)))
            case .payload(.network, let offset, let length, 1, true):
                let mask = takeBitwise()
                guard let (op, data) = takeCmp(), data.count == Int(length) else { throw refuse("a network header load is not compared as iptables-nft compares addresses.") }
                let negated = op == .neq
                let size = family == .ipv4 ? 4 : 16
                switch (family, offset) {
                case (.ipv4, 6):
                    guard mask == [0x1f, 0xff], data == [0, 0] else { throw refuse("a fragment offset test iptables-nft does not write.") }
                    // `-f` tests "offset != 0", `! -f` "offset == 0".
                    result.fragment = negated ? .fragmentsOnly : .nonFragmentsOnly
                case (.ipv4, 12), (.ipv4, 16), (.ipv6, 8), (.ipv6, 24):
                    guard Int(length) <= size, mask == nil || mask!.count == size else { throw refuse("an address compared on \(length) bytes.") }
                    let address = data + [UInt8](repeating: 0, count: size - data.count)
                    let maskBytes = mask ?? ([UInt8](repeating: 0xff, count: Int(length)) + [UInt8](repeating: 0, count: size - Int(length)))
                    let network: IPNetwork = family == .ipv4
                        ? .v4(IPv4Network(masking: IPv4Address(rawValue: NFTRuleDecoder.be32(address)), mask: NFTRuleDecoder.be32(maskBytes)))
                        : .v6(IPv6Network(masking: IPv6Address(bytes: address), mask: IPv6Address(bytes: maskBytes)))
                    if offset == 12 || offset == 8 { result.source = Negatable(network, negated: negated) } else { result.destination = Negatable(network, negated: negated) }
                default:
                    throw refuse("a load of \(length) bytes at network header offset \(offset), which iptables-nft does not write.")
                }
            case .payload(.transport, let offset, let length, 1, true):
                if transport == nil { transport = (result.matches.count, nil, nil, nil) }
                switch (offset, length) {
                case (0, 4):
                    guard let (op, data) = takeCmp(), data.count == 4 else { throw refuse("source and destination ports are not compared as iptables-nft does.") }
                    transport!.source = Negatable(PortRange(port(Array(data[0..<2]))), negated: op == .neq)
                    transport!.destination = Negatable(PortRange(port(Array(data[2..<4]))), negated: op == .neq)
                case (0, 2), (2, 2):
                    let ports: Negatable<PortRange>
                    if index < expressions.count, case .range(1, let op, let from, let to) = expressions[index], op == .eq || op == .neq,
                       let range = try? PortRange(lower: port(from), upper: port(to)) {
                        index += 1
                        ports = Negatable(range, negated: op == .neq)
                    } else if let (op, data) = takeCmp(), data.count == 2 {
                        ports = Negatable(PortRange(port(data)), negated: op == .neq)
                    } else {
                        throw refuse("a port is not compared as iptables-nft does.")
                    }
                    if offset == 0 { transport!.source = ports } else { transport!.destination = ports }
                case (13, 1):
                    guard let mask = takeBitwise(), mask.count == 1, let (op, data) = takeCmp(), data.count == 1 else { throw refuse("TCP flags are not tested as iptables-nft does.") }
                    transport!.flags = Negatable(TCPFlagTest(mask: TCPFlags(rawValue: mask[0]), comparison: TCPFlags(rawValue: data[0])), negated: op == .neq)
                default:
                    throw refuse("a load of \(length) bytes at transport header offset \(offset), which iptables-nft does not write.")
                }
            case .limit(let rate, let unit, let burst, 0, 0):
                guard rate > 0, unit > 0, let period = UInt32(exactly: unit * UInt64(LimitMatch.Rate.scale) / rate) else { throw refuse("a limit iptables-nft does not write.") }
                result.matches.append(Match(LimitMatch(rate: LimitMatch.Rate(period: period), burst: burst)))
            case .match(let name, let revision, let info):
                var context = result.extensionContext(family: family, table: table, chain: chain)
                context.ipSets = ipSets
                result.matches.append(decodeMatch(name: name, revision: revision, info: info, family: family, context: context))
            case .counter(let packets, let bytes):
                result.counters = Counters(packets: packets, bytes: bytes)
            case .immediate(0, .verdict(let verdict)):
                switch verdict {
                case .accept: result.target = .accept
                case .drop: result.target = .drop
                case .return: result.target = .return
                case .queue: result.target = .verdict(.queue)
                case .jump(let name), .goto(let name):
                    guard let target = try? ChainName(name) else { throw refuse("'\(name)' is not an iptables chain name.") }
                    if case .jump = verdict { result.target = .jump(target) } else { result.target = .goto(target) }
                default: throw refuse("the verdict '\(verdict)' has no iptables form.")
                }
            case .target(let name, let revision, let info):
                let context = result.extensionContext(family: family, table: table, chain: chain)
                result.target = .extension(decodeTarget(name: name, revision: revision, info: info, family: family, context: context))
            default:
                throw refuse("'\(expression)' is not an expression iptables-nft writes.")
            }
        }
        if let transport {
            let match: Match
            switch result.ipProtocol {
            case Negatable(IPProtocol.tcp, negated: false):
                match = Match(TCPMatch(sourcePort: transport.source, destinationPort: transport.destination, flags: transport.flags))
            case Negatable(IPProtocol.udp, negated: false) where transport.flags == nil:
                match = Match(UDPMatch(sourcePort: transport.source, destinationPort: transport.destination))
            default:
                throw refuse("transport header tests without -p tcp or -p udp.")
            }
            result.matches.insert(match, at: transport.position)
        }
        // Accept the reading only when it writes back the very same expressions.
        let again: NFTRule
        do { again = try NFTRuleEncoder(codecs: codecs, ipSets: ipSets).encode(result, family: family, table: table, chain: chain) } catch {
            throw refuse("it reads as '\(result.saveArguments(family: family))', which natgate cannot write back (\(error.message)).")
        }
        guard again.expressions == expressions else {
            throw refuse("it reads as '\(result.saveArguments(family: family))', which iptables-nft would write differently.")
        }
        return result
    }

    private func decodeMatch(name: String, revision: UInt32, info: [UInt8], family: Family, context: ExtensionContext) -> Match {
        if let revision = UInt8(exactly: revision), let codec = codecs.matchCodec(kernelName: name, revision: revision, family: family),
           let match = try? codec.decode(payload: ByteReader(info), revision: revision, context: context) {
            return match
        }
        return Match(UnknownMatch(name: name, words: [], kernelBlob: KernelBlob(revision: UInt8(truncatingIfNeeded: revision), payload: info)))
    }

    private func decodeTarget(name: String, revision: UInt32, info: [UInt8], family: Family, context: ExtensionContext) -> Target {
        if let revision = UInt8(exactly: revision), let codec = codecs.targetCodec(kernelName: name, revision: revision, family: family),
           let target = try? codec.decode(payload: ByteReader(info), revision: revision, context: context) {
            return target
        }
        return Target(UnknownTarget(name: name, words: [], kernelBlob: KernelBlob(revision: UInt8(truncatingIfNeeded: revision), payload: info)))
    }

    static func be32(_ bytes: [UInt8]) -> UInt32 { bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
    static func le32(_ bytes: [UInt8]) -> UInt32 { bytes.prefix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
}
