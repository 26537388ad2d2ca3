/// `-j REJECT [--reject-with TYPE]`: drop the packet and answer with an ICMP error or a TCP reset.
/// filter table; INPUT, FORWARD and OUTPUT only (the kernel refuses it elsewhere).
///
/// iptables-save always prints `--reject-with`, with the canonical name of the type; the default is
/// `icmp-port-unreachable` (IPv4) or `icmp6-port-unreachable` (IPv6).
/// Kernel, revision 0: `ipt_reject_info` / `ip6t_reject_info`, one `u32` holding the type's number.
public struct RejectTarget: TargetExtension {
    public static let name = "REJECT"
    public static let options = [ExtensionOption("--reject-with")]
    public static let allowedTables: Set<TableName>? = [.filter]
    public static let allowedChains: Set<ChainName>? = [.input, .forward, .output]

    /// What REJECT answers with. The raw values are the kernel's numbers, which differ per family.
    public enum IPv4Type: UInt32, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// `icmp-net-unreachable`.
        case netUnreachable = 0
        /// `icmp-host-unreachable`.
        case hostUnreachable = 1
        /// `icmp-proto-unreachable`.
        case protocolUnreachable = 2
        /// `icmp-port-unreachable`, the default.
        case portUnreachable = 3
        /// `icmp-net-prohibited`.
        case netProhibited = 5
        /// `icmp-host-prohibited`.
        case hostProhibited = 6
        /// `tcp-reset`: a TCP RST.
        case tcpReset = 7
        /// `icmp-admin-prohibited`.
        case adminProhibited = 8

        /// The name iptables-save prints, and the alias iptables also accepts.
        public var names: (canonical: String, alias: String) {
            switch self {
            case .netUnreachable: ("icmp-net-unreachable", "net-unreach")
            case .hostUnreachable: ("icmp-host-unreachable", "host-unreach")
            case .protocolUnreachable: ("icmp-proto-unreachable", "proto-unreach")
            case .portUnreachable: ("icmp-port-unreachable", "port-unreach")
            case .netProhibited: ("icmp-net-prohibited", "net-prohib")
            case .hostProhibited: ("icmp-host-prohibited", "host-prohib")
            case .tcpReset: ("tcp-reset", "tcp-rst")
            case .adminProhibited: ("icmp-admin-prohibited", "admin-prohib")
            }
        }

        public var description: String { names.canonical }
    }

    /// What REJECT answers with in an IPv6 rule; raw values are the kernel's numbers.
    public enum IPv6Type: UInt32, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// `icmp6-no-route`.
        case noRoute = 0
        /// `icmp6-adm-prohibited`.
        case adminProhibited = 1
        /// `icmp6-addr-unreachable`.
        case addressUnreachable = 3
        /// `icmp6-port-unreachable`, the default.
        case portUnreachable = 4
        /// `tcp-reset`: a TCP RST.
        case tcpReset = 6
        /// `icmp6-policy-fail`.
        case policyFail = 7
        /// `icmp6-reject-route`.
        case rejectRoute = 8

        /// The name ip6tables-save prints, and the short alias ip6tables also accepts.
        public var names: (canonical: String, alias: String) {
            switch self {
            case .noRoute: ("icmp6-no-route", "no-route")
            case .adminProhibited: ("icmp6-adm-prohibited", "adm-prohibited")
            case .addressUnreachable: ("icmp6-addr-unreachable", "addr-unreach")
            case .portUnreachable: ("icmp6-port-unreachable", "port-unreach")
            case .tcpReset: ("tcp-reset", "tcp-reset")
            case .policyFail: ("icmp6-policy-fail", "policy-fail")
            case .rejectRoute: ("icmp6-reject-route", "reject-route")
            }
        }

        public var description: String { names.canonical }
    }

    /// The answer, of one family or the other.
    public enum RejectType: Hashable, Sendable, CustomStringConvertible {
        /// An IPv4 answer.
        case ipv4(IPv4Type)
        /// An IPv6 answer.
        case ipv6(IPv6Type)

        /// The family of the answer.
        public var family: Family {
            switch self {
            case .ipv4: .ipv4
            case .ipv6: .ipv6
            }
        }

        /// Whether the answer is a TCP reset, which the kernel allows only for `-p tcp` rules.
        public var isTCPReset: Bool { self == .ipv4(.tcpReset) || self == .ipv6(.tcpReset) }

        /// The family's default, port unreachable.
        public static func `default`(for family: Family) -> RejectType {
            family == .ipv4 ? .ipv4(.portUnreachable) : .ipv6(.portUnreachable)
        }

        /// Parses a type as iptables does: the first type, in the kernel's order, of which `text` is
        /// a case-insensitive prefix of the canonical name or the alias (`icmp-h` is
        /// `icmp-host-unreachable`, `tcp-rst` is `tcp-reset`).
        public init(_ text: String, family: Family) throws {
            func matches(_ names: (canonical: String, alias: String)) -> Bool {
                let lower = text.lowercased()
                return names.canonical.hasPrefix(lower) || names.alias.hasPrefix(lower)
            }
            switch family {
            case .ipv4:
                if let type = IPv4Type.allCases.first(where: { matches($0.names) }) {
                    self = .ipv4(type)
                    return
                }
            case .ipv6:
                if let type = IPv6Type.allCases.first(where: { matches($0.names) }) {
                    self = .ipv6(type)
                    return
                }
            }
            let valid = family == .ipv4 ? IPv4Type.allCases.map(\.description) : IPv6Type.allCases.map(\.description)
            throw ModelError(
                .invalidValue, input: text,
                "\(ModelError.quote(text)) is not an \(family == .ipv4 ? "IPv4" : "IPv6") reject type: use one of \(valid.joined(separator: ", ")).")
        }

        public var description: String {
            switch self {
            case .ipv4(let type): type.description
            case .ipv6(let type): type.description
            }
        }
    }

    /// The answer; nil is the family's default, port unreachable, which iptables-save prints too.
    public var rejectWith: RejectType?

    public init() { rejectWith = nil }

    /// `-j REJECT --reject-with type`.
    public init(with type: RejectType) { rejectWith = type }

    /// The answer the kernel sends for a rule of `family`.
    public func effectiveType(for family: Family) -> RejectType { rejectWith ?? .default(for: family) }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--reject-with":
            guard rejectWith == nil else { throw option.usedTwice(Self.name) }
            do {
                rejectWith = try RejectType(option.argument, family: context.family)
            } catch let error as ModelError {
                throw option.wrapping(error)
            }
        default:
            throw ModelError(.unknownOption, input: option.name, "REJECT has no option \(option.name): it takes --reject-with.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        let type = effectiveType(for: context.family)
        guard type.family == context.family else {
            throw ModelError(
                .invalidValue, input: type.description,
                "--reject-with \(type) is an \(type.family == .ipv4 ? "IPv4" : "IPv6") reject type, but the rule is \(context.family == .ipv4 ? "IPv4" : "IPv6").")
        }
        if type.isTCPReset, context.ipProtocol != .tcp {
            throw ModelError(.notAllowed, input: "--reject-with tcp-reset", "--reject-with tcp-reset needs the rule to match -p tcp (the kernel refuses it otherwise).")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--reject-with", effectiveType(for: context.family).description)
    }

    // Equal when they send the same answer: an explicit default equals the default.
    public static func == (lhs: RejectTarget, rhs: RejectTarget) -> Bool {
        lhs.normalized == rhs.normalized
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }

    private var normalized: RejectType? {
        rejectWith == .ipv4(.portUnreachable) || rejectWith == .ipv6(.portUnreachable) ? nil : rejectWith
    }
}
