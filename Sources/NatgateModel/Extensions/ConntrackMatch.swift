/// Connection tracking states, as `--ctstate` and `--state` name them: the kernel's state bit mask.
public struct ConntrackStates: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The packet could not be tracked (`INVALID`).
    public static let invalid = ConntrackStates(rawValue: 1 << 0)
    /// The packet belongs to a connection that has seen traffic both ways (`ESTABLISHED`).
    public static let established = ConntrackStates(rawValue: 1 << 1)
    /// The packet opens a connection related to a tracked one, such as an ICMP error (`RELATED`).
    public static let related = ConntrackStates(rawValue: 1 << 2)
    /// The packet opens a new connection (`NEW`).
    public static let new = ConntrackStates(rawValue: 1 << 3)
    /// The connection's original source was translated (`SNAT`; conntrack only).
    public static let snat = ConntrackStates(rawValue: 1 << 6)
    /// The connection's original destination was translated (`DNAT`; conntrack only).
    public static let dnat = ConntrackStates(rawValue: 1 << 7)
    /// The packet is exempt from tracking, e.g. by `-j NOTRACK` (`UNTRACKED`).
    public static let untracked = ConntrackStates(rawValue: 1 << 8)

    /// Names in the order iptables tries them, which decides abbreviations (`N` is `NEW`).
    static let parseOrder: [(String, ConntrackStates)] = [
        ("INVALID", .invalid), ("NEW", .new), ("ESTABLISHED", .established), ("RELATED", .related),
        ("UNTRACKED", .untracked), ("SNAT", .snat), ("DNAT", .dnat),
    ]
    /// Names in the order iptables-save prints them.
    static let printOrder: [(String, ConntrackStates)] = [
        ("INVALID", .invalid), ("NEW", .new), ("RELATED", .related), ("ESTABLISHED", .established),
        ("UNTRACKED", .untracked), ("SNAT", .snat), ("DNAT", .dnat),
    ]

    /// `RELATED,ESTABLISHED`: the names iptables-save prints, in its order.
    public var description: String { MatchValueSyntax.names(of: self, in: ConntrackStates.printOrder) }
}

/// Connection tracking status bits, as `--ctstatus` names them; the empty set is `NONE`.
public struct ConntrackStatus: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `EXPECTED`: the connection was expected by a helper.
    public static let expected = ConntrackStatus(rawValue: 1 << 0)
    /// `SEEN_REPLY`: packets were seen both ways.
    public static let seenReply = ConntrackStatus(rawValue: 1 << 1)
    /// `ASSURED`: the connection will not be dropped early.
    public static let assured = ConntrackStatus(rawValue: 1 << 2)
    /// `CONFIRMED`: the connection left the box.
    public static let confirmed = ConntrackStatus(rawValue: 1 << 3)

    static let names: [(String, ConntrackStatus)] = [
        ("NONE", []), ("EXPECTED", .expected), ("SEEN_REPLY", .seenReply), ("ASSURED", .assured), ("CONFIRMED", .confirmed),
    ]

    /// `EXPECTED,ASSURED`, or `NONE` for the empty set, as iptables-save prints them.
    public var description: String { isEmpty ? "NONE" : MatchValueSyntax.names(of: self, in: ConntrackStatus.names) }
}

/// `-m conntrack`: tests a packet's connection tracking entry: its state, protocol, original and
/// reply addresses and ports, status bits, remaining lifetime and direction.
///
/// Every test is optional and negatable (except `--ctdir`), but at least one must be given. Kernel:
/// `xt_conntrack_mtinfo3`, revision 3. iptables-save prints the tests in a fixed order, the protocol
/// as a number, addresses without `/32` (`/128`), and states and statuses in its own order.
public struct ConntrackMatch: MatchExtension {
    public static let name = "conntrack"
    public static let options = [
        ExtensionOption("--ctstate", negatable: true),
        ExtensionOption("--ctproto", negatable: true),
        ExtensionOption("--ctorigsrc", negatable: true),
        ExtensionOption("--ctorigdst", negatable: true),
        ExtensionOption("--ctreplsrc", negatable: true),
        ExtensionOption("--ctrepldst", negatable: true),
        ExtensionOption("--ctorigsrcport", negatable: true),
        ExtensionOption("--ctorigdstport", negatable: true),
        ExtensionOption("--ctreplsrcport", negatable: true),
        ExtensionOption("--ctrepldstport", negatable: true),
        ExtensionOption("--ctstatus", negatable: true),
        ExtensionOption("--ctexpire", negatable: true),
        ExtensionOption("--ctdir"),
    ]

    /// An address and prefix length, as the conntrack tuple tests take them. Unlike `-s`, iptables
    /// keeps host bits here (`10.0.0.1/8` stays as written), so this is not an `IPNetwork`.
    public struct Address: Hashable, Sendable, CustomStringConvertible {
        /// The address, host bits kept.
        public private(set) var address: IPAddress
        /// 0 to 32 for IPv4, 0 to 128 for IPv6.
        public private(set) var prefixLength: Int

        /// An address with a prefix length; nil means the whole address (`/32` or `/128`).
        public init(_ address: IPAddress, prefixLength: Int? = nil) throws {
            let bits = address.family == .ipv4 ? 32 : 128
            let length = prefixLength ?? bits
            guard (0...bits).contains(length) else {
                throw ModelError(.invalidNetwork, input: "\(address)/\(length)", "'\(address)/\(length)': the prefix length must be from 0 to \(bits).")
            }
            self.address = address
            self.prefixLength = length
        }

        /// Parses `ADDRESS`, `ADDRESS/LENGTH` or `ADDRESS/MASK` (a contiguous dotted or IPv6 mask)
        /// of `family`. Host names are not resolved.
        public init(_ text: String, family: Family) throws {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let bits = family == .ipv4 ? 32 : 128
            let address: IPAddress
            switch family {
            case .ipv4:
                guard let v4 = IPv4Address(parsing: parts[0]) else {
                    throw ModelError(.invalidAddress, input: text, "'\(parts[0])' is not an IPv4 address: write four decimal numbers such as 192.0.2.1 (host names are not resolved).")
                }
                address = .v4(v4)
            case .ipv6:
                guard let v6 = IPv6Address(parsing: parts[0]) else {
                    throw ModelError(.invalidAddress, input: text, "'\(parts[0])' is not an IPv6 address: write it as fd00::1 (host names are not resolved).")
                }
                address = .v6(v6)
            }
            guard parts.count == 2 else {
                try self.init(address)
                return
            }
            let maskText = parts[1]
            if let length = MatchValueSyntax.cNumber(maskText, maximum: UInt64(bits)) {
                try self.init(address, prefixLength: Int(length))
                return
            }
            let length: Int?
            switch family {
            case .ipv4: length = IPv4Address(parsing: maskText).flatMap { IPv4Network(masking: $0, mask: $0.rawValue).prefixLength }
            case .ipv6: length = IPv6Address(parsing: maskText).flatMap { IPv6Network(masking: $0, mask: $0).prefixLength }
            }
            guard let length else {
                throw ModelError(
                    .invalidNetwork, input: text,
                    "\(ModelError.quote(text)) has an invalid mask '\(maskText)': write a prefix length from 0 to \(bits) or a contiguous mask (iptables would silently use /\(bits) for this one).")
            }
            try self.init(address, prefixLength: length)
        }

        /// The address's family.
        public var family: Family { address.family }

        /// `10.0.0.1/8`, or the bare address for a whole-address prefix, as iptables-save prints it.
        public var description: String {
            prefixLength == (family == .ipv4 ? 32 : 128) ? "\(address)" : "\(address)/\(prefixLength)"
        }
    }

    /// The flow direction `--ctdir` tests.
    public enum Direction: String, Hashable, Sendable, CaseIterable {
        /// The packet goes the way the connection's first packet went.
        case original = "ORIGINAL"
        /// The packet goes the other way.
        case reply = "REPLY"
    }

    /// `--ctstate`: the packet's state.
    public var states: Negatable<ConntrackStates>?
    /// `--ctproto`: the layer-4 protocol of the connection (printed as a number).
    public var l4Protocol: Negatable<IPProtocol>?
    /// `--ctorigsrc`, `--ctorigdst`, `--ctreplsrc`, `--ctrepldst`.
    public var originalSource: Negatable<Address>?
    /// `--ctorigdst`: the original destination.
    public var originalDestination: Negatable<Address>?
    /// `--ctreplsrc`: the reply's source.
    public var replySource: Negatable<Address>?
    /// `--ctrepldst`: the reply's destination.
    public var replyDestination: Negatable<Address>?
    /// `--ctorigsrcport`, `--ctorigdstport`, `--ctreplsrcport`, `--ctrepldstport`.
    public var originalSourcePort: Negatable<PortRange>?
    /// `--ctorigdstport`.
    public var originalDestinationPort: Negatable<PortRange>?
    /// `--ctreplsrcport`.
    public var replySourcePort: Negatable<PortRange>?
    /// `--ctrepldstport`.
    public var replyDestinationPort: Negatable<PortRange>?
    /// `--ctstatus`: status bits; the empty set is `NONE`.
    public var status: Negatable<ConntrackStatus>?
    /// `--ctexpire`: remaining lifetime in seconds, inclusive.
    public var expires: Negatable<ClosedRange<UInt32>>?
    /// `--ctdir`: the packet's direction.
    public var direction: Direction?

    public init() {}

    /// `-m conntrack --ctstate STATES`, the gateway compiler's usual test.
    public init(states: ConntrackStates, negated: Bool = false) {
        self.states = Negatable(states, negated: negated)
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        let negation = option.negated
        switch option.name {
        case "--ctstate":
            try MatchValueSyntax.once(states, option)
            states = Negatable(try MatchValueSyntax.nameList(option, names: ConntrackStates.parseOrder, what: "conntrack state"), negated: negation)
        case "--ctproto":
            try MatchValueSyntax.once(l4Protocol, option)
            do { l4Protocol = Negatable(try IPProtocol(option.argument), negated: negation) } catch let error as ModelError {
                throw option.invalid(error.message)
            }
        case "--ctorigsrc":
            try MatchValueSyntax.once(originalSource, option)
            originalSource = Negatable(try address(option, context), negated: negation)
        case "--ctorigdst":
            try MatchValueSyntax.once(originalDestination, option)
            originalDestination = Negatable(try address(option, context), negated: negation)
        case "--ctreplsrc":
            try MatchValueSyntax.once(replySource, option)
            replySource = Negatable(try address(option, context), negated: negation)
        case "--ctrepldst":
            try MatchValueSyntax.once(replyDestination, option)
            replyDestination = Negatable(try address(option, context), negated: negation)
        case "--ctorigsrcport":
            try MatchValueSyntax.once(originalSourcePort, option)
            originalSourcePort = Negatable(try MatchValueSyntax.portRange(option, style: .portRC), negated: negation)
        case "--ctorigdstport":
            try MatchValueSyntax.once(originalDestinationPort, option)
            originalDestinationPort = Negatable(try MatchValueSyntax.portRange(option, style: .portRC), negated: negation)
        case "--ctreplsrcport":
            try MatchValueSyntax.once(replySourcePort, option)
            replySourcePort = Negatable(try MatchValueSyntax.portRange(option, style: .portRC), negated: negation)
        case "--ctrepldstport":
            try MatchValueSyntax.once(replyDestinationPort, option)
            replyDestinationPort = Negatable(try MatchValueSyntax.portRange(option, style: .portRC), negated: negation)
        case "--ctstatus":
            try MatchValueSyntax.once(status, option)
            status = Negatable(try MatchValueSyntax.nameList(option, names: ConntrackStatus.names, what: "conntrack status"), negated: negation)
        case "--ctexpire":
            try MatchValueSyntax.once(expires, option)
            expires = Negatable(try ConntrackMatch.lifetime(option), negated: negation)
        case "--ctdir":
            try MatchValueSyntax.once(direction, option)
            guard !negation else { throw option.invalid("--ctdir cannot be negated: write --ctdir REPLY for ! --ctdir ORIGINAL.") }
            guard let value = Direction(rawValue: option.argument.uppercased()) else {
                throw option.invalid("write ORIGINAL or REPLY.")
            }
            direction = value
        default:
            throw ModelError(.unknownOption, input: option.name, "conntrack has no option \(option.name).", at: option.location)
        }
    }

    private func address(_ option: ParsedOption, _ context: ExtensionContext) throws -> Address {
        do { return try Address(option.argument, family: context.family) } catch let error as ModelError {
            throw option.invalid(error.message)
        }
    }

    /// `SECONDS` or `MIN:MAX`, numbers as `strtoul` reads them; an empty side is 0 or 2^32-1.
    static func lifetime(_ option: ParsedOption) throws -> ClosedRange<UInt32> {
        let parts = option.argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw option.invalid("write SECONDS or MIN:MAX.") }
        func seconds(_ part: Substring, empty: UInt32) throws -> UInt32 {
            if part.isEmpty { return empty }
            guard let value = MatchValueSyntax.cNumber(part, maximum: UInt64(UInt32.max)) else {
                throw option.invalid("'\(part)' is not a number of seconds from 0 to \(UInt32.max).")
            }
            return UInt32(value)
        }
        let lower = try seconds(parts[0], empty: 0)
        let upper = parts.count == 2 ? try seconds(parts[1], empty: .max) : lower
        guard lower <= upper else {
            throw option.invalid("the range is backwards and would never match: write the smaller number first.")
        }
        return lower...upper
    }

    public func validate(context: ExtensionContext) throws {
        let tests: [Any?] = [
            states, l4Protocol, originalSource, originalDestination, replySource, replyDestination, originalSourcePort,
            originalDestinationPort, replySourcePort, replyDestinationPort, status, expires, direction,
        ]
        guard tests.contains(where: { $0 != nil }) else {
            throw ModelError(.missingArgument, input: "-m conntrack", "-m conntrack needs at least one option, such as --ctstate RELATED,ESTABLISHED.")
        }
        for (option, address) in [
            ("--ctorigsrc", originalSource), ("--ctorigdst", originalDestination), ("--ctreplsrc", replySource), ("--ctrepldst", replyDestination),
        ] {
            if let address, address.value.family != context.family {
                throw ModelError(.notAllowed, input: "\(option) \(address.value)", "\(option) \(address.value) is not an \(context.family == .ipv4 ? "IPv4" : "IPv6") address, as the rule's family needs.")
            }
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let states { writer.option("--ctstate", states.value.description, negated: states.negated) }
        if let l4Protocol { writer.option("--ctproto", String(l4Protocol.value.number), negated: l4Protocol.negated) }
        for (name, address) in [
            ("--ctorigsrc", originalSource), ("--ctorigdst", originalDestination), ("--ctreplsrc", replySource), ("--ctrepldst", replyDestination),
        ] {
            if let address { writer.option(name, address.value.description, negated: address.negated) }
        }
        for (name, port) in [
            ("--ctorigsrcport", originalSourcePort), ("--ctorigdstport", originalDestinationPort),
            ("--ctreplsrcport", replySourcePort), ("--ctrepldstport", replyDestinationPort),
        ] {
            if let port { writer.option(name, port.value.text(separator: ":"), negated: port.negated) }
        }
        if let status { writer.option("--ctstatus", status.value.description, negated: status.negated) }
        if let expires {
            let range = expires.value
            writer.option("--ctexpire", range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound):\(range.upperBound)", negated: expires.negated)
        }
        if let direction { writer.option("--ctdir", direction.rawValue) }
    }
}

/// `-m state --state STATES`: the older spelling of `-m conntrack --ctstate`, limited to INVALID,
/// NEW, ESTABLISHED, RELATED and UNTRACKED.
///
/// iptables 1.8.9 writes it as the kernel's `conntrack` match, revision 3, with an alias flag, and
/// iptables-save prints it back as `-m state`; natgate does the same.
public struct StateMatch: MatchExtension {
    public static let name = "state"
    public static let options = [ExtensionOption("--state", negatable: true)]

    static let names = ConntrackStates.parseOrder.filter { [.invalid, .new, .established, .related, .untracked].contains($0.1) }

    /// `--state`: the packet's state.
    public var states: Negatable<ConntrackStates>?

    public init() {}

    /// `--state` of `states`, negated or not.
    public init(states: ConntrackStates, negated: Bool = false) {
        self.states = Negatable(states, negated: negated)
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--state" else {
            throw ModelError(.unknownOption, input: option.name, "state has no option \(option.name); it takes only --state.", at: option.location)
        }
        try MatchValueSyntax.once(states, option)
        states = Negatable(try MatchValueSyntax.nameList(option, names: StateMatch.names, what: "state"), negated: option.negated)
    }

    public func validate(context: ExtensionContext) throws {
        guard let states else {
            throw ModelError(.missingArgument, input: "-m state", "-m state needs --state, such as --state RELATED,ESTABLISHED.")
        }
        let allowed: ConntrackStates = [.invalid, .new, .established, .related, .untracked]
        guard allowed.isSuperset(of: states.value) else {
            throw ModelError(.notAllowed, input: "--state \(states.value)", "--state takes only INVALID, NEW, ESTABLISHED, RELATED and UNTRACKED; use -m conntrack --ctstate for SNAT and DNAT.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let states { writer.option("--state", states.value.description, negated: states.negated) }
    }
}
