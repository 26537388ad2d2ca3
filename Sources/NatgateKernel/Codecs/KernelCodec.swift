import NatgateModel

/// How a typed match travels to and from the kernel's entry bytes.
///
/// A match in an entry is a 32-byte `xt_entry_match` header (size, name, revision) followed by the
/// extension's struct, padded to 8 bytes. A codec writes and reads only that struct, the payload;
/// the entry encoder writes the header, the size and the padding.
public protocol KernelMatchCodec: MatchExtension {
    /// The name in the kernel entry (`xt_entry_match.u.user.name`); usually `Self.name`.
    static var kernelName: String { get }
    /// The revision iptables-legacy 1.8.9 writes for this family.
    static func revision(for family: Family) -> UInt8
    /// The size of the payload struct before padding (`sizeof(struct xt_…_info)`).
    static func payloadSize(for family: Family) -> Int
    /// The leading bytes userspace sets (`userspacesize`); the rest is the kernel's own state and is
    /// not compared. Defaults to the whole payload.
    static func userspaceSize(for family: Family) -> Int

    /// The payload bytes, exactly `payloadSize(for:)` long.
    func encodePayload(context: ExtensionContext) throws -> [UInt8]

    /// Rebuilds the match from a payload the kernel returned (at least `payloadSize` bytes).
    /// May return another model type when iptables prints the entry under another name.
    static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match
}

/// How a typed target travels to and from the kernel's entry bytes; see `KernelMatchCodec`.
public protocol KernelTargetCodec: TargetExtension {
    /// The name in the kernel entry (`xt_entry_target.u.user.name`); usually `Self.name`.
    static var kernelName: String { get }
    /// The revision iptables-legacy 1.8.9 writes for this family.
    static func revision(for family: Family) -> UInt8
    /// The size of the payload struct before padding (`sizeof(struct xt_…_info)`).
    static func payloadSize(for family: Family) -> Int
    /// The leading bytes userspace sets (`userspacesize`); the rest is the kernel's own state and is
    /// not compared. Defaults to the whole payload.
    static func userspaceSize(for family: Family) -> Int
    /// The payload bytes, exactly `payloadSize(for:)` long.
    func encodePayload(context: ExtensionContext) throws -> [UInt8]
    /// Rebuilds the target from a payload the kernel returned (at least `payloadSize` bytes).
    static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target
}

extension KernelMatchCodec {
    /// The model's name (`Self.name`).
    public static var kernelName: String { name }
    /// Revision 0.
    public static func revision(for family: Family) -> UInt8 { 0 }
    /// The whole payload.
    public static func userspaceSize(for family: Family) -> Int { payloadSize(for: family) }
}

extension KernelTargetCodec {
    /// The model's name (`Self.name`).
    public static var kernelName: String { name }
    /// Revision 0.
    public static func revision(for family: Family) -> UInt8 { 0 }
    /// The whole payload.
    public static func userspaceSize(for family: Family) -> Int { payloadSize(for: family) }
}

/// The codecs the backend knows, looked up by model type for encoding and by kernel name and
/// revision for decoding.
public struct KernelCodecRegistry: Sendable {
    /// The match codecs, in lookup order.
    public private(set) var matches: [any KernelMatchCodec.Type]
    /// The target codecs, in lookup order.
    public private(set) var targets: [any KernelTargetCodec.Type]

    /// A registry of these codecs; for a kernel name and revision, the first that fits decodes.
    public init(matches: [any KernelMatchCodec.Type] = [], targets: [any KernelTargetCodec.Type] = []) {
        self.matches = matches
        self.targets = targets
    }

    /// The codec that decodes kernel match `name` at `revision` for `family`.
    public func matchCodec(kernelName name: String, revision: UInt8, family: Family) -> (any KernelMatchCodec.Type)? {
        matches.first { $0.kernelName == name && $0.revision(for: family) == revision && $0.families.contains(family) }
    }

    /// The codec that decodes kernel target `name` at `revision` for `family`.
    public func targetCodec(kernelName name: String, revision: UInt8, family: Family) -> (any KernelTargetCodec.Type)? {
        targets.first { $0.kernelName == name && $0.revision(for: family) == revision && $0.families.contains(family) }
    }

    /// The codecs of the typed extensions in `extensions` that have one, in name order. Decoding
    /// takes the first codec of a kernel name and revision: `conntrack` before `state`, whose
    /// kernel match `ConntrackMatch.decode` reads back.
    public init(extensions: ExtensionRegistry) {
        self.init(
            matches: extensions.matches.values.compactMap { $0 as? any KernelMatchCodec.Type }.sorted { $0.name < $1.name },
            targets: extensions.targets.values.compactMap { $0 as? any KernelTargetCodec.Type }.sorted { $0.name < $1.name })
    }

    /// Every typed extension the backend can write: those of `ExtensionRegistry.standard`.
    ///
    /// Listed here rather than found by casting each of the registry's types to a codec type:
    /// the first cast of a type to a protocol scans every conformance record of the binary, and
    /// those scans cost every natgate process about a millisecond at start. A test checks this
    /// list is what `init(extensions: .standard)` finds.
    public static let standard = KernelCodecRegistry(
        matches: ([
            AddrtypeMatch.self, CommentMatch.self, ConnmarkMatch.self, ConntrackMatch.self, HopLimitMatch.self,
            ICMPMatch.self, ICMPv6Match.self, IPRangeMatch.self, LimitMatch.self, MacMatch.self, MarkMatch.self,
            MultiportMatch.self, OwnerMatch.self, PacketTypeMatch.self, PhysdevMatch.self, RecentMatch.self,
            RoutingHeaderMatch.self, SetMatch.self, StateMatch.self, StatisticMatch.self, TCPMatch.self, TTLMatch.self,
            UDPMatch.self,
        ] as [any KernelMatchCodec.Type]).sorted { $0.name < $1.name },
        targets: ([
            ChecksumTarget.self, ConnmarkTarget.self, CTTarget.self, DNATTarget.self, HLTarget.self, LogTarget.self,
            MarkTarget.self, MasqueradeTarget.self, NotrackTarget.self, RedirectTarget.self, RejectTarget.self,
            SNATTarget.self, TCPMSSTarget.self, TTLTarget.self,
        ] as [any KernelTargetCodec.Type]).sorted { $0.name < $1.name })
}
