import NatgateModel

/// Turns model rules into kernel entries (`struct ipt_entry` / `struct ip6t_entry` followed by
/// matches and a target), exactly as iptables-legacy 1.8.9 lays them out, so that the kernel holds
/// the same bytes whichever of the two wrote a rule.
///
/// - Header: addresses and masks in network order; each interface name with a mask of 0xFF over
///   its bytes and its NUL, or, for `veth+`, over the bytes before the `+` (which stays in the
///   name); the protocol, with `IP6T_F_PROTO` for IPv6 whenever `-p` is given; `IPT_F_FRAG`;
///   `IPT_F_GOTO`/`IP6T_F_GOTO` for `-g`; the invert flags.
/// - Each match and the target: a 32-byte header (size, name, revision) and the codec's payload,
///   padded to 8 bytes. Unknown extensions read from the kernel are written back from their blob.
/// - Verdicts, jumps and gotos: a 40-byte standard target named after the verdict or chain;
///   libiptc turns the name into the verdict or offset when it builds the table.
struct EntryEncoder {
    let family: Family
    let codecs: KernelCodecRegistry
    /// Where `-m set` names become set indexes: the calling thread's namespace, which is the one
    /// being written when the encoder runs inside `NetworkNamespace.run`.
    var ipSets = IPSetNames(KernelIPSetResolver())

    /// Encodes `rule`, as it stands in `chain` of `table`. With `counters`, the entry carries the
    /// rule's counters (libiptc then sets them); otherwise they are zero.
    func encode(_ rule: Rule, table: TableName, chain: ChainName, position: Int? = nil, counters: Bool = false) throws(KernelError) -> [UInt8] {
        let layout = EntryLayout.of(family)
        let operation = KernelError.Operation(family: family, table: table, chain: chain.rawValue, rulePosition: position)
        func refuse(_ message: String) -> KernelError { KernelError(.refused, message, operation: operation) }

        var entry = [UInt8](repeating: 0, count: layout.headerSize)
        var flags: UInt8 = 0
        var invert: UInt8 = 0

        func put(_ network: Negatable<IPNetwork>?, address: Int, mask: Int, flag: UInt8, option: String) throws(KernelError) {
            guard let network else { return }
            let addressBytes: [UInt8], maskBytes: [UInt8]
            switch (network.value, family) {
            case (.v4(let v4), .ipv4):
                addressBytes = v4.address.bytes
                maskBytes = IPv4Address(rawValue: v4.mask).bytes
            case (.v6(let v6), .ipv6):
                addressBytes = v6.address.bytes
                maskBytes = v6.mask.bytes
            default:
                throw refuse("\(option) \(network.value) is an \(family == .ipv4 ? "IPv6" : "IPv4") network in an \(family == .ipv4 ? "IPv4 (iptables)" : "IPv6 (ip6tables)") rule; put the rule in the other family's table.")
            }
            entry.replaceSubrange(address..<(address + layout.addressSize), with: addressBytes)
            entry.replaceSubrange(mask..<(mask + layout.addressSize), with: maskBytes)
            if network.negated { invert |= flag }
        }
        try put(rule.source, address: layout.source, mask: layout.sourceMask, flag: EntryLayout.invertSource, option: "-s")
        try put(rule.destination, address: layout.destination, mask: layout.destinationMask, flag: EntryLayout.invertDestination, option: "-d")

        func put(_ interface: Negatable<InterfaceName>?, name: Int, mask: Int, flag: UInt8) {
            guard let interface else { return }
            let bytes = Array(interface.value.rawValue.utf8)
            entry.replaceSubrange(name..<(name + bytes.count), with: bytes)
            for i in 0..<interface.value.entryMaskLength { entry[mask + i] = 0xFF }
            if interface.negated { invert |= flag }
        }
        put(rule.inInterface, name: layout.inInterface, mask: layout.inInterfaceMask, flag: EntryLayout.invertIn)
        put(rule.outInterface, name: layout.outInterface, mask: layout.outInterfaceMask, flag: EntryLayout.invertOut)

        if let proto = rule.ipProtocol {
            entry.storeU16(UInt16(proto.value.number), at: layout.proto)
            flags |= layout.protoFlag
            if proto.negated { invert |= EntryLayout.invertProto }
        }
        if let fragment = rule.fragment {
            guard layout.fragmentFlag != 0 else { throw refuse("-f (fragments) exists only for IPv4; remove it from the IPv6 rule.") }
            flags |= layout.fragmentFlag
            if fragment == .nonFragmentsOnly { invert |= EntryLayout.invertFragment }
        }
        if case .goto = rule.target { flags |= layout.gotoFlag }
        entry[layout.flags] = flags
        entry[layout.invertFlags] = invert

        var context = rule.extensionContext(family: family, table: table, chain: chain)
        context.ipSets = ipSets
        for match in rule.matches {
            entry += try encodeMatch(match, context: context, refuse: refuse)
        }
        let targetOffset = entry.count
        entry += try encodeTarget(rule.target, table: table, context: context, refuse: refuse)
        guard entry.count <= Int(UInt16.max) else { throw refuse("The rule is \(entry.count) bytes long; the kernel allows at most 65535 bytes per rule.") }
        entry.storeU16(UInt16(targetOffset), at: layout.targetOffset)
        entry.storeU16(UInt16(entry.count), at: layout.nextOffset)
        if counters, let value = rule.counters {
            entry.storeU64(value.packets, at: layout.counters)
            entry.storeU64(value.bytes, at: layout.counters + 8)
        }
        return entry
    }

    /// A 32-byte match or target header followed by the payload, padded to 8 bytes.
    private func extensionBytes(name: String, revision: UInt8, payload: [UInt8], refuse: (String) -> KernelError) throws(KernelError) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count < EntryLayout.extensionNameSize else {
            throw refuse("Extension name '\(name)' is \(nameBytes.count) bytes long; the kernel allows at most \(EntryLayout.extensionNameSize - 1).")
        }
        let size = EntryLayout.extensionHeaderSize + EntryLayout.aligned(payload.count)
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.storeU16(UInt16(size), at: 0)
        bytes.replaceSubrange(2..<(2 + nameBytes.count), with: nameBytes)
        bytes[31] = revision
        bytes.replaceSubrange(32..<(32 + payload.count), with: payload)
        return bytes
    }

    private func encodeMatch(_ match: Match, context: ExtensionContext, refuse: (String) -> KernelError) throws(KernelError) -> [UInt8] {
        // Messages are worded only when a rule is refused: building them for every rule cost a
        // third of the encoder's time.
        func written() -> String { "match '-m \(match.name)'" }
        if let unknown = match.as(UnknownMatch.self) {
            return try unknownBytes(written(), name: unknown.extensionName, blob: unknown.kernelBlob, refuse: refuse)
        }
        guard let codec = match.base as? any KernelMatchCodec else {
            throw refuse("natgate can read \(written()) but cannot yet write it to the kernel (no kernel codec). Use iptables-legacy for this rule.")
        }
        let type = type(of: codec)
        return try codecBytes(
            written(), described: "'-m \(match)'", kernelName: type.kernelName, revision: type.revision(for: family),
            families: type.families, payloadSize: type.payloadSize(for: family), refuse: refuse
        ) { try codec.encodePayload(context: context) }
    }

    /// An extension natgate has no type for, written back from the kernel bytes it was read with.
    private func unknownBytes(_ written: String, name: String, blob: KernelBlob?, refuse: (String) -> KernelError) throws(KernelError) -> [UInt8] {
        guard let blob else {
            throw refuse("natgate cannot write \(written) to the kernel: it has no type for it and no kernel bytes (it came from text, not from the kernel). Use iptables-legacy for this rule, or leave it out.")
        }
        return try extensionBytes(name: name, revision: blob.revision, payload: blob.payload, refuse: refuse)
    }

    /// A typed extension through its codec: refused for a family it does not exist in, and when
    /// the codec's payload is not the size the kernel expects.
    private func codecBytes(
        _ written: @autoclosure () -> String, described: @autoclosure () -> String, kernelName: String, revision: UInt8, families: Set<Family>,
        payloadSize: Int, refuse: (String) -> KernelError, encode: () throws -> [UInt8]
    ) throws(KernelError) -> [UInt8] {
        func subject() -> String {
            let written = written()
            return written.prefix(1).uppercased() + written.dropFirst()
        }
        guard families.contains(family) else {
            throw refuse("\(subject()) does not exist for \(family == .ipv4 ? "IPv4" : "IPv6").")
        }
        let payload: [UInt8]
        do { payload = try encode() } catch {
            throw refuse("\(subject()) cannot be written (\(described())): \(error)")
        }
        guard payload.count == payloadSize else {
            throw refuse("\(subject()): its codec produced \(payload.count) bytes where the kernel expects \(payloadSize). This is a bug in natgate; please report it.")
        }
        return try extensionBytes(name: kernelName, revision: revision, payload: payload, refuse: refuse)
    }

    private func encodeTarget(_ target: RuleTarget?, table: TableName, context: ExtensionContext, refuse: (String) -> KernelError) throws(KernelError) -> [UInt8] {
        // struct xt_standard_target { struct xt_entry_target target; int verdict; } (40 bytes):
        // libiptc maps the name to the verdict (or the chain's offset) when it compiles the table.
        func standard(_ name: String) throws(KernelError) -> [UInt8] {
            try extensionBytes(name: name, revision: 0, payload: [0, 0, 0, 0], refuse: refuse)
        }
        switch target {
        case nil:
            return try standard("")
        case .verdict(let verdict):
            return try standard(verdict.rawValue)
        case .jump(let chain), .goto(let chain):
            guard !table.isBuiltin(chain) else {
                throw refuse("A rule cannot jump to the built-in chain \(chain); jump to a user-defined chain instead.")
            }
            return try standard(chain.rawValue)
        case .extension(let extensionTarget):
            func written() -> String { "target '-j \(extensionTarget.name)'" }
            if let unknown = extensionTarget.as(UnknownTarget.self) {
                return try unknownBytes(written(), name: unknown.extensionName, blob: unknown.kernelBlob, refuse: refuse)
            }
            guard let codec = extensionTarget.base as? any KernelTargetCodec else {
                throw refuse("natgate can read \(written()) but cannot yet write it to the kernel (no kernel codec). Use iptables-legacy for this rule.")
            }
            let type = type(of: codec)
            return try codecBytes(
                written(), described: "'-j \(extensionTarget)'", kernelName: type.kernelName, revision: type.revision(for: family),
                families: type.families, payloadSize: type.payloadSize(for: family), refuse: refuse
            ) { try codec.encodePayload(context: context) }
        }
    }
}
