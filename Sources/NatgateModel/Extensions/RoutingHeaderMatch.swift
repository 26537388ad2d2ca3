/// `-m rt`: matches the IPv6 routing header. IPv6 only.
///
/// Options: `[!] --rt-type TYPE`, `[!] --rt-segsleft N[:M]`, `[!] --rt-len LENGTH`, and for type 0
/// (after `--rt-type 0`) `--rt-0-res`, `--rt-0-addrs ADDR[,ADDR…]` (at most 16) and
/// `--rt-0-not-strict` (after `--rt-0-addrs`).
///
/// iptables-save leaves out a segments-left range of `0:4294967295` even when the rule gave it
/// (the kernel entry still records it); natgate keeps it and prints it the same way.
///
/// Kernel: `ip6t_rt`, revision 0.
public struct RoutingHeaderMatch: MatchExtension {
    public static let name = "rt"
    public static let families: Set<Family> = [.ipv6]
    public static let options = [
        ExtensionOption("--rt-type", negatable: true),
        ExtensionOption("--rt-segsleft", negatable: true),
        ExtensionOption("--rt-len", negatable: true),
        ExtensionOption("--rt-0-res", arguments: 0),
        ExtensionOption("--rt-0-addrs"),
        ExtensionOption("--rt-0-not-strict", arguments: 0),
    ]

    /// The most addresses `--rt-0-addrs` takes (`IP6T_RT_HOPS`).
    public static let maximumAddresses = 16

    /// An inclusive range of the Segments Left field; iptables allows `lower` > `upper`, which
    /// matches nothing.
    public struct SegmentsRange: Hashable, Sendable, CustomStringConvertible {
        /// The smallest value.
        public var lower: UInt32
        /// The largest value, included.
        public var upper: UInt32

        /// The values from `lower` to `upper`.
        public init(lower: UInt32, upper: UInt32) {
            self.lower = lower
            self.upper = upper
        }

        /// The single value `value`.
        public init(_ value: UInt32) { self.init(lower: value, upper: value) }

        /// Every value: what the kernel tests when the rule gives no range.
        public static let all = SegmentsRange(lower: 0, upper: .max)

        /// `N` or `N:M`, as iptables-save prints it.
        public var description: String { lower == upper ? "\(lower)" : "\(lower):\(upper)" }
    }

    /// `[!] --rt-type`: the routing type (0, 2, 3, 4 …); iptables takes any 32-bit number.
    public var type: Negatable<UInt32>?
    /// `[!] --rt-segsleft`.
    public var segmentsLeft: Negatable<SegmentsRange>?
    /// `[!] --rt-len`: the header length field.
    public var length: Negatable<UInt32>?
    /// `--rt-0-res`: the type 0 reserved field must be zero.
    public var reservedZero: Bool
    /// `--rt-0-addrs`: the type 0 address list; nil when not tested.
    public var addresses: [IPv6Address]?
    /// `--rt-0-not-strict`: the addresses need not be the whole list, in order.
    public var notStrict: Bool

    public init() { self.init(type: nil) }

    /// A routing-header match of what is given (nil: not tested).
    public init(
        type: Negatable<UInt32>? = nil, segmentsLeft: Negatable<SegmentsRange>? = nil, length: Negatable<UInt32>? = nil,
        reservedZero: Bool = false, addresses: [IPv6Address]? = nil, notStrict: Bool = false
    ) {
        self.type = type
        self.segmentsLeft = segmentsLeft
        self.length = length
        self.reservedZero = reservedZero
        self.addresses = addresses
        self.notStrict = notStrict
    }

    /// Whether the rule says `--rt-type 0` (not negated), which the type 0 options need.
    var isType0: Bool { type == Negatable(0) }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        func once(_ given: Bool) throws {
            if given { throw option.invalid("rt takes \(option.name) only once.") }
        }
        switch option.name {
        case "--rt-type":
            try once(type != nil)
            type = Negatable(UInt32(try option.unsignedArgument(in: 0...UInt64(UInt32.max))), negated: option.negated)
        case "--rt-segsleft":
            try once(segmentsLeft != nil)
            segmentsLeft = Negatable(try RoutingHeaderMatch.segments(option), negated: option.negated)
        case "--rt-len":
            try once(length != nil)
            length = Negatable(UInt32(try option.unsignedArgument(in: 0...UInt64(UInt32.max))), negated: option.negated)
        case "--rt-0-res":
            guard isType0 else { throw ModelError(.notAllowed, input: option.name, "rt: --rt-0-res needs --rt-type 0 before it.", at: option.location) }
            reservedZero = true
        case "--rt-0-addrs":
            guard isType0 else { throw ModelError(.notAllowed, input: option.name, "rt: --rt-0-addrs needs --rt-type 0 before it.", at: option.location) }
            try once(addresses != nil)
            let parts = option.argument.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count <= RoutingHeaderMatch.maximumAddresses else {
                throw option.invalid("rt takes at most \(RoutingHeaderMatch.maximumAddresses) addresses.")
            }
            addresses = try parts.map { part in
                guard let address = IPv6Address(parsing: part) else { throw option.invalid("'\(part)' is not an IPv6 address.") }
                return address
            }
        case "--rt-0-not-strict":
            guard addresses != nil else {
                throw ModelError(.notAllowed, input: option.name, "rt: --rt-0-not-strict needs --rt-0-addrs before it.", at: option.location)
            }
            notStrict = true
        default:
            throw ModelError(.unknownOption, input: option.name, "rt has no option \(option.name).", at: option.location)
        }
    }

    /// `N`, `N:M`, `:M` (from 0) or `N:` (to 2³² − 1), as libxtables' `XTTYPE_UINT32RC` reads it.
    static func segments(_ option: ParsedOption) throws -> SegmentsRange {
        let parts = option.argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw option.invalid("write N or N:M; a range has two ends.") }
        func value(_ part: Substring, empty: UInt32) throws -> UInt32 {
            if part.isEmpty { return empty }
            guard let number = XtablesNumber.unsigned(part, in: 0...UInt64(UInt32.max)) else {
                throw option.invalid("write whole numbers from 0 to \(UInt32.max), as N or N:M.")
            }
            return UInt32(number)
        }
        let lower = try value(parts[0], empty: 0)
        return SegmentsRange(lower: lower, upper: parts.count == 2 ? try value(parts[1], empty: .max) : lower)
    }

    /// Checks what the kernel's `rt_mt6_check` checks: the type 0 options only with `--rt-type 0`.
    public func validate(context: ExtensionContext) throws {
        if reservedZero || addresses != nil || notStrict, !isType0 {
            throw ModelError(.notAllowed, input: "-m rt", "rt: --rt-0-res, --rt-0-addrs and --rt-0-not-strict need --rt-type 0 (not negated).")
        }
        if notStrict && addresses == nil {
            throw ModelError(.notAllowed, input: "--rt-0-not-strict", "rt: --rt-0-not-strict needs --rt-0-addrs.")
        }
        if let addresses, addresses.count > RoutingHeaderMatch.maximumAddresses {
            throw ModelError(.invalidValue, input: "--rt-0-addrs", "rt takes at most \(RoutingHeaderMatch.maximumAddresses) addresses, not \(addresses.count).")
        }
    }

    /// Prints in `rt_save`'s order.
    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let type { writer.option("--rt-type", String(type.value), negated: type.negated) }
        if let segmentsLeft, segmentsLeft.value != .all {
            writer.option("--rt-segsleft", segmentsLeft.value.description, negated: segmentsLeft.negated)
        }
        if let length { writer.option("--rt-len", String(length.value), negated: length.negated) }
        if reservedZero { writer.word("--rt-0-res") }
        if let addresses {
            writer.word("--rt-0-addrs")
            if !addresses.isEmpty { writer.word(addresses.map(\.description).joined(separator: ",")) }
        }
        if notStrict { writer.word("--rt-0-not-strict") }
    }
}
