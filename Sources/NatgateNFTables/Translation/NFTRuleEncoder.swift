import NatgateKernel
import NatgateModel

/// Turns a model `Rule` into the nf_tables expressions iptables-nft 1.8.9 writes for the same
/// rule text, so that a rule natgate writes into `ip filter`/`ip nat` is indistinguishable from
/// one `iptables-nft -A` wrote (and `iptables-nft-save` prints it back as the same text).
///
/// The expressions, in iptables-nft's order (`nft_ipv4_add`/`nft_ipv6_add`, then `add_match`,
/// `add_counters`, `add_action`):
///
///     -i NAME      [ meta load iifname => reg 1 ] [ cmp eq reg 1 NAME\0 ]   (neq for `! -i`)
///     -i veth+     [ meta load iifname => reg 1 ] [ cmp eq reg 1 veth ]     (no NUL: a prefix)
///     -i +         [ meta load iifname => reg 1 ]                           (no cmp at all)
///     -o …         the same with oifname
///     -p tcp       [ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x06 ]
///     -s A/24      [ payload load 3b @ network header + 12 => reg 1 ] [ cmp eq reg 1 A's 3 bytes ]
///     -s A/25      [ payload load 4b @ … + 12 ] [ bitwise reg 1 = (reg 1 & MASK) ^ 0 ] [ cmp eq reg 1 A ]
///     -d …         offset 16 (IPv6: -s at 8, -d at 24, 16 bytes)
///     -f           [ payload load 2b @ network header + 6 ] [ bitwise & 0x1fff ] [ cmp neq 0 ] (`! -f`: eq)
///     -m limit     [ limit rate R/UNIT burst B type packets flags 0x0 ]
///     -m mark      [ meta load mark => reg 1 ] [ bitwise & MASK ] (when not 0xffffffff) [ cmp eq reg 1 MARK ]
///     -m tcp/udp   ports natively on the transport header (see `transportPorts`), or `match`
///                  when the match tests nothing natively expressible
///     -m NAME      [ match name NAME rev R ] with the xt payload NatgateKernel's codec writes
///     -m set       [ match name set rev 4 ] (`xt_set_info_match_v4`): the set's index in the
///                  namespace, resolved through `ipSets` as iptables-nft resolves it
///     (always)     [ counter pkts P bytes B ]
///     (with -p)    NFTA_RULE_COMPAT: the protocol and its negation, which nft_compat checks xt
///                  extensions against (write-only: the kernel does not dump it)
///     -j ACCEPT    [ immediate reg 0 accept ] (DROP, RETURN, QUEUE alike); -j CHAIN: jump; -g: goto
///     -j NAME      [ target name NAME rev R ] with the codec's xt payload
///
/// Matches iptables-nft turns into native expressions natgate does not write (`among`) are
/// refused with an error that says so, rather than written differently from iptables-nft.
public struct NFTRuleEncoder: Sendable {
    /// The codecs that encode xt match and target payloads.
    public var codecs: KernelCodecRegistry
    /// Where `-m set` names become set indexes: by default the ip sets of the calling thread's
    /// network namespace (encode inside the namespace the rules go to).
    public var ipSets: IPSetNames

    /// An encoder with `codecs`.
    public init(codecs: KernelCodecRegistry = .standard, ipSets: IPSetNames = IPSetNames(KernelIPSetResolver())) {
        self.codecs = codecs
        self.ipSets = ipSets
    }

    /// The nf_tables rule for `rule` in `chain` of `table` (family `ip` for IPv4, `ip6` for IPv6).
    /// Its handle is 0: the kernel gives one when the rule is added.
    public func encode(_ rule: Rule, family: Family, table: TableName, chain: ChainName) throws(NFTError) -> NFTRule {
        let nftFamily: NFTFamily = family == .ipv4 ? .ip : .ip6
        func refuse(_ message: String) -> NFTError {
            NFTError(.refused, "\(nftFamily) \(table) \(chain): rule '\(rule.saveArguments(family: family))': \(message)")
        }
        var expressions: [NFTExpression] = []

        func interface(_ name: Negatable<InterfaceName>?, key: NFTExpression.MetaKey) {
            guard let name else { return }
            expressions.append(.meta(key: key, register: 1, isLoad: true))
            let op: NFTExpression.CmpOperator = name.negated ? .neq : .eq
            if name.value.isWildcard {
                let stem = Array(name.value.stem.utf8)
                if !stem.isEmpty { expressions.append(.cmp(register: 1, op: op, data: stem)) }
            } else {
                expressions.append(.cmp(register: 1, op: op, data: Array(name.value.rawValue.utf8) + [0]))
            }
        }
        interface(rule.inInterface, key: .iifname)
        interface(rule.outInterface, key: .oifname)

        if let proto = rule.ipProtocol, proto.value.number != 0 {
            expressions.append(.meta(key: .l4proto, register: 1, isLoad: true))
            expressions.append(.cmp(register: 1, op: proto.negated ? .neq : .eq, data: [proto.value.number]))
        }

        func address(_ network: Negatable<IPNetwork>?, option: String, offset4: UInt32, offset6: UInt32) throws(NFTError) {
            guard let network else { return }
            let address: [UInt8], mask: [UInt8], offset: UInt32
            switch (network.value, family) {
            case (.v4(let v4), .ipv4):
                (address, mask, offset) = (v4.address.bytes, IPv4Address(rawValue: v4.mask).bytes, offset4)
            case (.v6(let v6), .ipv6):
                (address, mask, offset) = (v6.address.bytes, v6.mask.bytes, offset6)
            default:
                throw refuse("\(option) \(network.value) is not an \(family == .ipv4 ? "IPv4" : "IPv6") network; put the rule in the other family's table.")
            }
            // iptables-nft leaves out `-s 0.0.0.0/0` (no test), but not its negation.
            guard !network.negated ? mask.contains(where: { $0 != 0 }) : true else { return }
            expressions += NFTRuleEncoder.addressExpressions(address: address, mask: mask, offset: offset, negated: network.negated)
        }
        try address(rule.source, option: "-s", offset4: 12, offset6: 8)
        try address(rule.destination, option: "-d", offset4: 16, offset6: 24)

        if let fragment = rule.fragment {
            guard family == .ipv4 else { throw refuse("-f (fragments) exists only for IPv4; remove it from the IPv6 rule.") }
            expressions.append(.payload(base: .network, offset: 6, length: 2, register: 1, isLoad: true))
            expressions.append(.bitwise(source: 1, destination: 1, length: 2, mask: [0x1f, 0xff], xor: [0, 0]))
            expressions.append(.cmp(register: 1, op: fragment == .fragmentsOnly ? .neq : .eq, data: [0, 0]))
        }

        var context = rule.extensionContext(family: family, table: table, chain: chain)
        context.ipSets = ipSets
        for match in rule.matches {
            if let native = try nativeMatch(match, refuse: refuse) {
                expressions += native
                continue
            }
            let (name, revision, payload) = try xtPayload(match, context: context, family: family, refuse: refuse)
            expressions.append(.match(name: name, revision: UInt32(revision), info: payload))
        }

        expressions.append(.counter(packets: rule.counters?.packets ?? 0, bytes: rule.counters?.bytes ?? 0))

        switch rule.target {
        case nil: break
        case .verdict(let verdict):
            let nft: NFTVerdict = switch verdict {
            case .accept: .accept
            case .drop: .drop
            case .return: .return
            case .queue: .queue
            }
            expressions.append(.immediate(register: 0, .verdict(nft)))
        case .jump(let target):
            guard !table.isBuiltin(target) else { throw refuse("A rule cannot jump to the built-in chain \(target); jump to a user-defined chain instead.") }
            expressions.append(.immediate(register: 0, .verdict(.jump(target.rawValue))))
        case .goto(let target):
            guard !table.isBuiltin(target) else { throw refuse("A rule cannot go to the built-in chain \(target); use a user-defined chain instead.") }
            expressions.append(.immediate(register: 0, .verdict(.goto(target.rawValue))))
        case .extension(let target):
            let (name, revision, payload) = try xtPayload(target, context: context, family: family, refuse: refuse)
            expressions.append(.target(name: name, revision: UInt32(revision), info: payload))
        }
        // `add_compat`: the rule's protocol, for nft_compat to check xt extensions that need one
        // (`-m udp`, `-m icmp`, `-j TCPMSS`) as x_tables does. The kernel does not dump it back.
        let compat = rule.ipProtocol.map { NFTRule.Compat(ipProtocol: UInt32($0.value.number), flags: $0.negated ? 2 : 0) }
        return NFTRule(family: nftFamily, table: table.rawValue, chain: chain.rawValue, handle: 0, expressions: expressions, compat: compat)
    }

    /// `add_addr` of iptables-nft: a mask of whole 0xff bytes followed by zeros loads only those
    /// bytes and compares them; any other mask loads the whole address, masks it with `bitwise`,
    /// and compares the whole (already masked) address.
    static func addressExpressions(address: [UInt8], mask: [UInt8], offset: UInt32, negated: Bool) -> [NFTExpression] {
        let whole = mask.prefix { $0 == 0xff }.count
        let needsBitwise = mask[whole...].contains { $0 != 0 }
        let length = needsBitwise ? mask.count : whole
        var result: [NFTExpression] = [.payload(base: .network, offset: offset, length: UInt32(length), register: 1, isLoad: true)]
        if needsBitwise {
            result.append(.bitwise(source: 1, destination: 1, length: UInt32(length), mask: mask, xor: [UInt8](repeating: 0, count: length)))
        }
        result.append(.cmp(register: 1, op: negated ? .neq : .eq, data: Array(address.prefix(length))))
        return result
    }

    /// What iptables-nft 1.8.9 writes natively instead of an xt `match`: nil when it writes the xt
    /// match (then the codec's payload is used).
    private func nativeMatch(_ match: Match, refuse: (String) -> NFTError) throws(NFTError) -> [NFTExpression]? {
        if let tcp = match.as(TCPMatch.self) {
            // An option test (`--tcp-option`) has no native form: the whole match stays xt. A
            // match that tests nothing stays xt too (`-m tcp` alone).
            if tcp.option != nil || (tcp.sourcePort == nil && tcp.destinationPort == nil && tcp.flags == nil) { return nil }
            var result = NFTRuleEncoder.transportPorts(source: tcp.sourcePort, destination: tcp.destinationPort)
            if let flags = tcp.flags {
                result.append(.payload(base: .transport, offset: 13, length: 1, register: 1, isLoad: true))
                result.append(.bitwise(source: 1, destination: 1, length: 1, mask: [flags.value.mask.rawValue], xor: [0]))
                result.append(.cmp(register: 1, op: flags.negated ? .neq : .eq, data: [flags.value.comparison.rawValue]))
            }
            return result
        }
        if let udp = match.as(UDPMatch.self) {
            if udp.sourcePort == nil && udp.destinationPort == nil { return nil }
            return NFTRuleEncoder.transportPorts(source: udp.sourcePort, destination: udp.destinationPort)
        }
        if let limit = match.as(LimitMatch.self) {
            return [NFTRuleEncoder.limitExpression(period: limit.rate.period, burst: limit.burst)]
        }
        if let mark = match.as(MarkMatch.self), let pattern = mark.mark {
            var result: [NFTExpression] = [.meta(key: .mark, register: 1, isLoad: true)]
            if pattern.value.mask != 0xffff_ffff {
                result.append(.bitwise(source: 1, destination: 1, length: 4, mask: le32(pattern.value.mask), xor: [0, 0, 0, 0]))
            }
            result.append(.cmp(register: 1, op: pattern.negated ? .neq : .eq, data: le32(pattern.value.value)))
            return result
        }
        switch match.name {
        case "among":
            throw refuse("iptables-nft 1.8.9 writes -m \(match.name) as native nf_tables expressions, which natgate's nf_tables encoder does not write yet; leave the rule to iptables-nft.")
        default:
            return nil
        }
    }

    /// `add_nft_limit` of iptables-nft: the largest unit (second, minute, hour, day) in which the
    /// xt period (1/10000 s between packets) gives a whole rate, as packets per that unit.
    static func limitExpression(period: UInt32, burst: UInt32) -> NFTExpression {
        let scale = UInt64(LimitMatch.Rate.scale)
        let units: [UInt64] = [scale * 86400, scale * 3600, scale * 60, scale]
        let average = UInt64(max(period, 1))
        var index = 1
        while index < units.count, !(average > units[index] || units[index] / average < units[index] % average) { index += 1 }
        return .limit(rate: units[index - 1] / average, unit: units[index - 1] / scale, burst: burst, type: 0, flags: 0)
    }

    /// `add_nft_tcpudp` of iptables-nft: one single source and one single destination port with
    /// the same negation are compared together as 4 bytes at offset 0; otherwise each side is a
    /// 2-byte load (source at 0, destination at 2) and a `cmp` for one port or a `range`.
    static func transportPorts(source: Negatable<PortRange>?, destination: Negatable<PortRange>?) -> [NFTExpression] {
        if let source, let destination, source.value.isSinglePort, destination.value.isSinglePort,
           source.value.lower != 0, destination.value.lower != 0, source.negated == destination.negated {
            return [
                .payload(base: .transport, offset: 0, length: 4, register: 1, isLoad: true),
                .cmp(register: 1, op: source.negated ? .neq : .eq, data: be16(source.value.lower) + be16(destination.value.lower)),
            ]
        }
        var result: [NFTExpression] = []
        for (ports, offset) in [(source, UInt32(0)), (destination, UInt32(2))] {
            guard let ports else { continue }
            result.append(.payload(base: .transport, offset: offset, length: 2, register: 1, isLoad: true))
            let op: NFTExpression.CmpOperator = ports.negated ? .neq : .eq
            if ports.value.isSinglePort {
                result.append(.cmp(register: 1, op: op, data: be16(ports.value.lower)))
            } else {
                result.append(.range(register: 1, op: op, from: be16(ports.value.lower), to: be16(ports.value.upper)))
            }
        }
        return result
    }

    /// The kernel name, revision and xt payload (padded to 8 bytes, as the kernel keeps it) of a
    /// typed match, from NatgateKernel's codec; an unknown match read from the kernel is written
    /// back from its bytes.
    private func xtPayload(_ match: Match, context: ExtensionContext, family: Family, refuse: (String) -> NFTError) throws(NFTError) -> (String, UInt8, [UInt8]) {
        if let unknown = match.as(UnknownMatch.self) {
            guard let blob = unknown.kernelBlob else {
                throw refuse("natgate has no type for -m \(unknown.extensionName) and no kernel bytes for it, so it cannot write it; leave the rule to iptables-nft.")
            }
            return (unknown.extensionName, blob.revision, blob.payload)
        }
        guard let codec = match.base as? any KernelMatchCodec else {
            throw refuse("natgate cannot write -m \(match.name) yet (no kernel codec); leave the rule to iptables-nft.")
        }
        let type = type(of: codec)
        return try payload(kernelName: type.kernelName, revision: type.revision(for: family), families: type.families,
                           size: type.payloadSize(for: family), what: "-m \(match)", family: family, refuse: refuse) {
            try codec.encodePayload(context: context)
        }
    }

    private func xtPayload(_ target: Target, context: ExtensionContext, family: Family, refuse: (String) -> NFTError) throws(NFTError) -> (String, UInt8, [UInt8]) {
        if let unknown = target.as(UnknownTarget.self) {
            guard let blob = unknown.kernelBlob else {
                throw refuse("natgate has no type for -j \(unknown.extensionName) and no kernel bytes for it, so it cannot write it; leave the rule to iptables-nft.")
            }
            return (unknown.extensionName, blob.revision, blob.payload)
        }
        guard let codec = target.base as? any KernelTargetCodec else {
            throw refuse("natgate cannot write -j \(target.name) yet (no kernel codec); leave the rule to iptables-nft.")
        }
        let type = type(of: codec)
        return try payload(kernelName: type.kernelName, revision: type.revision(for: family), families: type.families,
                           size: type.payloadSize(for: family), what: "-j \(target)", family: family, refuse: refuse) {
            try codec.encodePayload(context: context)
        }
    }

    private func payload(
        kernelName: String, revision: UInt8, families: Set<Family>, size: Int, what describe: @autoclosure () -> String, family: Family,
        refuse: (String) -> NFTError, encode: () throws -> [UInt8]
    ) throws(NFTError) -> (String, UInt8, [UInt8]) {
        // Printed only on a refusal: rendering the extension for every rule written is costly.
        var what: String { describe() }
        guard families.contains(family) else { throw refuse("\(what) does not exist for \(family == .ipv4 ? "IPv4" : "IPv6").") }
        let bytes: [UInt8]
        do { bytes = try encode() } catch { throw refuse("\(what) cannot be written: \(error)") }
        guard bytes.count == size else {
            throw refuse("\(what): its codec produced \(bytes.count) bytes where the kernel expects \(size). This is a bug in natgate; please report it.")
        }
        // The kernel keeps (and dumps) XT_ALIGN(size) bytes: padded to 8.
        return (kernelName, revision, bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8))
    }
}

/// A 32-bit value in host (little-endian) byte order, as `meta mark` compares it.
func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

/// A 16-bit value in network byte order.
func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
