/// The typed extensions a parser knows by name.
///
/// `ExtensionRegistry.standard` holds every extension natgate types; an embedding tool can add its
/// own with `registering(match:)` and `registering(target:)`. Names not in the registry are kept
/// verbatim as `UnknownMatch` / `UnknownTarget`.
public struct ExtensionRegistry: Sendable {
    /// The match types, by the name `-m` takes.
    public private(set) var matches: [String: any MatchExtension.Type]
    /// The target types, by the name `-j` takes.
    public private(set) var targets: [String: any TargetExtension.Type]

    /// A registry of these types; a later type of the same name replaces an earlier one.
    public init(matches: [any MatchExtension.Type] = [], targets: [any TargetExtension.Type] = []) {
        self.matches = Dictionary(matches.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.targets = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// This registry with `match` added, replacing any match of its name.
    public func registering(match: any MatchExtension.Type) -> ExtensionRegistry {
        var copy = self
        copy.matches[match.name] = match
        return copy
    }

    /// This registry with `target` added, replacing any target of its name.
    public func registering(target: any TargetExtension.Type) -> ExtensionRegistry {
        var copy = self
        copy.targets[target.name] = target
        return copy
    }

    /// Every extension natgate has a type for. Keep one entry a line, sorted, to ease merging.
    public static let standard = ExtensionRegistry(
        matches: [
            AddrtypeMatch.self,
            CommentMatch.self,
            ConnmarkMatch.self,
            ConntrackMatch.self,
            HopLimitMatch.self,
            ICMPMatch.self,
            ICMPv6Match.self,
            IPRangeMatch.self,
            LimitMatch.self,
            MacMatch.self,
            MarkMatch.self,
            MultiportMatch.self,
            OwnerMatch.self,
            PacketTypeMatch.self,
            PhysdevMatch.self,
            RecentMatch.self,
            RoutingHeaderMatch.self,
            SetMatch.self,
            StateMatch.self,
            StatisticMatch.self,
            TCPMatch.self,
            TTLMatch.self,
            UDPMatch.self,
        ],
        targets: [
            ChecksumTarget.self,
            ConnmarkTarget.self,
            CTTarget.self,
            DNATTarget.self,
            HLTarget.self,
            LogTarget.self,
            MarkTarget.self,
            MasqueradeTarget.self,
            NotrackTarget.self,
            RedirectTarget.self,
            RejectTarget.self,
            SNATTarget.self,
            TCPMSSTarget.self,
            TTLTarget.self,
        ]
    )
}
