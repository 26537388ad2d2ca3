/// How HL and TTL change the hop count; raw values are the kernel's `IP6T_HL_*` / `IPT_TTL_*`.
public enum HopCountChange: Hashable, Sendable {
    /// Set it to the value (0–255).
    case set(UInt8)
    /// Increment it by the value (1–255).
    case increment(UInt8)
    /// Decrement it by the value (1–255).
    case decrement(UInt8)

    /// The kernel's mode number.
    public var mode: UInt8 {
        switch self {
        case .set: 0
        case .increment: 1
        case .decrement: 2
        }
    }

    /// The value the mode applies.
    public var value: UInt8 {
        switch self {
        case .set(let value), .increment(let value), .decrement(let value): value
        }
    }

    /// The change for a kernel mode and value, nil for a mode or value iptables cannot write.
    public init?(mode: UInt8, value: UInt8) {
        switch mode {
        case 0: self = .set(value)
        case 1 where value >= 1: self = .increment(value)
        case 2 where value >= 1: self = .decrement(value)
        default: return nil
        }
    }

    /// Applies `--PREFIX-set|inc|dec N` as libxtables reads it, refusing a second change.
    static func parse(_ option: ParsedOption, prefix: String, target: String, current: HopCountChange?) throws -> HopCountChange {
        try option.refuseNegation(target)
        let kinds = ["--\(prefix)-set", "--\(prefix)-inc", "--\(prefix)-dec"]
        guard let kind = kinds.firstIndex(of: option.name) else {
            throw ModelError(
                .unknownOption, input: option.name, "\(target) has no option \(option.name): it takes \(kinds.joined(separator: ", ")).", at: option.location)
        }
        guard current == nil else {
            throw ModelError(.notAllowed, input: option.name, "\(target): give one of \(kinds.joined(separator: ", ")), not two.", at: option.location)
        }
        let value = UInt8(try option.unsignedArgument(in: (kind == 0 ? 0 : 1)...255))
        return HopCountChange(mode: UInt8(kind), value: value)!
    }

    static func validate(_ change: HopCountChange?, prefix: String, target: String) throws {
        guard let change else {
            throw ModelError(.missingArgument, input: target, "\(target) needs one of --\(prefix)-set, --\(prefix)-inc, --\(prefix)-dec.")
        }
        if change.mode != 0, change.value == 0 {
            throw ModelError(.invalidValue, input: "0", "\(target) cannot \(change.mode == 1 ? "increment" : "decrement") by 0: write 1 to 255.")
        }
    }

    func save(to writer: inout SaveWriter, prefix: String) {
        writer.option(["--\(prefix)-set", "--\(prefix)-inc", "--\(prefix)-dec"][Int(mode)], "\(value)")
    }
}

/// `-j HL --hl-set N | --hl-inc N | --hl-dec N`: change an IPv6 packet's hop limit.
/// ip6tables, mangle table only (the kernel refuses it elsewhere).
///
/// Kernel, revision 0: `ip6t_HL_info { u8 mode; u8 hop_limit; }`.
public struct HLTarget: TargetExtension {
    public static let name = "HL"
    public static let families: Set<Family> = [.ipv6]
    public static let options = [ExtensionOption("--hl-set"), ExtensionOption("--hl-inc"), ExtensionOption("--hl-dec")]
    public static let allowedTables: Set<TableName>? = [.mangle]

    /// Required.
    public var change: HopCountChange?

    public init() { change = nil }
    /// A target making `change`.
    public init(_ change: HopCountChange) { self.change = change }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        change = try HopCountChange.parse(option, prefix: "hl", target: Self.name, current: change)
    }

    public func validate(context: ExtensionContext) throws {
        try HopCountChange.validate(change, prefix: "hl", target: Self.name)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        change?.save(to: &writer, prefix: "hl")
    }
}

/// `-j TTL --ttl-set N | --ttl-inc N | --ttl-dec N`: change an IPv4 packet's time to live.
/// iptables, mangle table only (the kernel refuses it elsewhere).
///
/// Kernel, revision 0: `ipt_TTL_info { u8 mode; u8 ttl; }`.
public struct TTLTarget: TargetExtension {
    public static let name = "TTL"
    public static let families: Set<Family> = [.ipv4]
    public static let options = [ExtensionOption("--ttl-set"), ExtensionOption("--ttl-inc"), ExtensionOption("--ttl-dec")]
    public static let allowedTables: Set<TableName>? = [.mangle]

    /// Required.
    public var change: HopCountChange?

    public init() { change = nil }
    /// A target making `change`.
    public init(_ change: HopCountChange) { self.change = change }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        change = try HopCountChange.parse(option, prefix: "ttl", target: Self.name, current: change)
    }

    public func validate(context: ExtensionContext) throws {
        try HopCountChange.validate(change, prefix: "ttl", target: Self.name)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        change?.save(to: &writer, prefix: "ttl")
    }
}
