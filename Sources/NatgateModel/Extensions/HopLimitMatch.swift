/// How `-m hl` and `-m ttl` compare the packet's hop limit (IPv6) or TTL (IPv4) with a value.
///
/// The kernel keeps a mode byte (0 equal, 1 not equal, 2 less than, 3 greater than) and the value.
public enum HopCountCondition: Hashable, Sendable {
    /// `--hl-eq N` / `--ttl-eq N`.
    case equal(UInt8)
    /// `! --hl-eq N` / `! --ttl-eq N`.
    case notEqual(UInt8)
    /// `--hl-lt N` / `--ttl-lt N`.
    case lessThan(UInt8)
    /// `--hl-gt N` / `--ttl-gt N`.
    case greaterThan(UInt8)

    /// The kernel's mode byte (`IP6T_HL_EQ` …, `IPT_TTL_EQ` …: the same numbers).
    public var mode: UInt8 {
        switch self {
        case .equal: 0
        case .notEqual: 1
        case .lessThan: 2
        case .greaterThan: 3
        }
    }

    /// The value compared with.
    public var value: UInt8 {
        switch self {
        case .equal(let value), .notEqual(let value), .lessThan(let value), .greaterThan(let value): value
        }
    }

    /// The condition for a kernel mode byte and value; nil for an unknown mode.
    public init?(mode: UInt8, value: UInt8) {
        switch mode {
        case 0: self = .equal(value)
        case 1: self = .notEqual(value)
        case 2: self = .lessThan(value)
        case 3: self = .greaterThan(value)
        default: return nil
        }
    }

    /// Applies `--PREFIX-eq`, `--PREFIX` (an alias of -eq), `--PREFIX-lt` or `--PREFIX-gt`.
    static func parse(_ option: ParsedOption, prefix: String, extensionName: String, alreadyGiven: Bool) throws -> HopCountCondition {
        let names = ["--\(prefix)-eq", "--\(prefix)", "--\(prefix)-lt", "--\(prefix)-gt"]
        guard let index = names.firstIndex(of: option.name) else {
            throw ModelError(
                .unknownOption, input: option.name,
                "\(extensionName) has no option \(option.name); it takes --\(prefix)-eq, --\(prefix)-lt or --\(prefix)-gt.", at: option.location)
        }
        if index >= 2 { try option.refuseNegation(extensionName) }
        if alreadyGiven {
            throw ModelError(
                .notAllowed, input: option.name,
                "\(extensionName) takes only one of --\(prefix)-eq, --\(prefix)-lt and --\(prefix)-gt.", at: option.location)
        }
        let value = UInt8(try option.unsignedArgument(in: 0...255))
        switch index {
        case 0, 1: return option.negated ? .notEqual(value) : .equal(value)
        case 2: return .lessThan(value)
        default: return .greaterThan(value)
        }
    }

    func save(to writer: inout SaveWriter, prefix: String) {
        switch self {
        case .equal(let value): writer.option("--\(prefix)-eq", String(value))
        case .notEqual(let value): writer.option("--\(prefix)-eq", String(value), negated: true)
        case .lessThan(let value): writer.option("--\(prefix)-lt", String(value))
        case .greaterThan(let value): writer.option("--\(prefix)-gt", String(value))
        }
    }
}

/// `-m hl [!] --hl-eq N | --hl-lt N | --hl-gt N`: compares the IPv6 hop limit. IPv6 only.
/// `--hl N` is read as `--hl-eq N`.
///
/// Kernel: `ip6t_hl_info`, revision 0: mode byte, hop limit byte.
public struct HopLimitMatch: MatchExtension {
    public static let name = "hl"
    public static let families: Set<Family> = [.ipv6]
    public static let options = [
        ExtensionOption("--hl-eq", "--hl", negatable: true),
        ExtensionOption("--hl-lt"),
        ExtensionOption("--hl-gt"),
    ]

    /// The test of the hop limit.
    public var condition: HopCountCondition

    public init() { condition = .equal(0) }
    /// A match testing `condition`.
    public init(_ condition: HopCountCondition) {
        self.condition = condition
        hasCondition = true
    }

    // Whether a condition was given (by parse or the initialiser); the match alone is an error.
    private var hasCondition = false
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.condition == rhs.condition }
    public func hash(into hasher: inout Hasher) { hasher.combine(condition) }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        condition = try HopCountCondition.parse(option, prefix: "hl", extensionName: "hl", alreadyGiven: hasCondition)
        hasCondition = true
    }

    public func validate(context: ExtensionContext) throws {
        if !hasCondition { throw ModelError(.missingArgument, input: "-m hl", "hl needs one of --hl-eq, --hl-lt or --hl-gt.") }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        condition.save(to: &writer, prefix: "hl")
    }
}

/// `-m ttl [!] --ttl-eq N | --ttl-lt N | --ttl-gt N`: compares the IPv4 TTL. IPv4 only.
/// `--ttl N` is read as `--ttl-eq N`.
///
/// Kernel: `ipt_ttl_info`, revision 0: mode byte, TTL byte.
public struct TTLMatch: MatchExtension {
    public static let name = "ttl"
    public static let families: Set<Family> = [.ipv4]
    public static let options = [
        ExtensionOption("--ttl-eq", "--ttl", negatable: true),
        ExtensionOption("--ttl-lt"),
        ExtensionOption("--ttl-gt"),
    ]

    /// The test of the TTL.
    public var condition: HopCountCondition

    public init() { condition = .equal(0) }
    /// A match testing `condition`.
    public init(_ condition: HopCountCondition) {
        self.condition = condition
        hasCondition = true
    }

    // Whether a condition was given (by parse or the initialiser); the match alone is an error.
    private var hasCondition = false
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.condition == rhs.condition }
    public func hash(into hasher: inout Hasher) { hasher.combine(condition) }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        condition = try HopCountCondition.parse(option, prefix: "ttl", extensionName: "ttl", alreadyGiven: hasCondition)
        hasCondition = true
    }

    public func validate(context: ExtensionContext) throws {
        if !hasCondition { throw ModelError(.missingArgument, input: "-m ttl", "ttl needs one of --ttl-eq, --ttl-lt or --ttl-gt.") }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        condition.save(to: &writer, prefix: "ttl")
    }
}
