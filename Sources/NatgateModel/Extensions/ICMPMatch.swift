/// An ICMP or ICMPv6 type and the range of codes it matches, as `--icmp-type` and `--icmpv6-type`
/// take them: a name (`echo-request`, `port-unreachable`) or `TYPE[/CODE[:CODE]]`.
public struct ICMPType: Hashable, Sendable, CustomStringConvertible {
    /// The ICMP or ICMPv6 type.
    public var type: UInt8
    /// The codes matched; `0...255` for every code of the type.
    public var codes: ClosedRange<UInt8>

    /// The type with the codes given; all by default.
    public init(type: UInt8, codes: ClosedRange<UInt8> = 0...255) {
        self.type = type
        self.codes = codes
    }

    /// `TYPE/CODE`: one code of a type.
    public init(type: UInt8, code: UInt8) { self.init(type: type, codes: code...code) }

    /// IPv4's `any`: every ICMP packet (type 255, which iptables reserves for it).
    public static let any = ICMPType(type: 255)
    /// `echo-request` (ping), type 8.
    public static let echoRequest = ICMPType(type: 8)
    /// `echo-reply`, type 0.
    public static let echoReply = ICMPType(type: 0)

    /// `TYPE` or `TYPE/CODE`, the numeric form iptables-save prints (it drops the upper end of a
    /// code range, as iptables 1.8.9 does).
    public var description: String {
        codes == 0...255 ? "\(type)" : "\(type)/\(codes.lowerBound)"
    }

    typealias Name = (name: String, type: UInt8, codes: ClosedRange<UInt8>)

    /// iptables' `icmp_codes` table: names, aliases, and the codes each stands for.
    static let ipv4Names: [Name] = [
        ("any", 255, 0...255), ("echo-reply", 0, 0...255), ("pong", 0, 0...255),
        ("destination-unreachable", 3, 0...255), ("network-unreachable", 3, 0...0), ("host-unreachable", 3, 1...1),
        ("protocol-unreachable", 3, 2...2), ("port-unreachable", 3, 3...3), ("fragmentation-needed", 3, 4...4),
        ("source-route-failed", 3, 5...5), ("network-unknown", 3, 6...6), ("host-unknown", 3, 7...7),
        ("network-prohibited", 3, 9...9), ("host-prohibited", 3, 10...10), ("TOS-network-unreachable", 3, 11...11),
        ("TOS-host-unreachable", 3, 12...12), ("communication-prohibited", 3, 13...13),
        ("host-precedence-violation", 3, 14...14), ("precedence-cutoff", 3, 15...15),
        ("source-quench", 4, 0...255),
        ("redirect", 5, 0...255), ("network-redirect", 5, 0...0), ("host-redirect", 5, 1...1),
        ("TOS-network-redirect", 5, 2...2), ("TOS-host-redirect", 5, 3...3),
        ("echo-request", 8, 0...255), ("ping", 8, 0...255),
        ("router-advertisement", 9, 0...255), ("router-solicitation", 10, 0...255),
        ("time-exceeded", 11, 0...255), ("ttl-exceeded", 11, 0...255), ("ttl-zero-during-transit", 11, 0...0),
        ("ttl-zero-during-reassembly", 11, 1...1),
        ("parameter-problem", 12, 0...255), ("ip-header-bad", 12, 0...0), ("required-option-missing", 12, 1...1),
        ("timestamp-request", 13, 0...255), ("timestamp-reply", 14, 0...255),
        ("address-mask-request", 17, 0...255), ("address-mask-reply", 18, 0...255),
    ]

    /// iptables' `icmpv6_codes` table.
    static let ipv6Names: [Name] = [
        ("destination-unreachable", 1, 0...255), ("no-route", 1, 0...0), ("communication-prohibited", 1, 1...1),
        ("beyond-scope", 1, 2...2), ("address-unreachable", 1, 3...3), ("port-unreachable", 1, 4...4),
        ("failed-policy", 1, 5...5), ("reject-route", 1, 6...6),
        ("packet-too-big", 2, 0...255),
        ("time-exceeded", 3, 0...255), ("ttl-exceeded", 3, 0...255), ("ttl-zero-during-transit", 3, 0...0),
        ("ttl-zero-during-reassembly", 3, 1...1),
        ("parameter-problem", 4, 0...255), ("bad-header", 4, 0...0), ("unknown-header-type", 4, 1...1), ("unknown-option", 4, 2...2),
        ("echo-request", 128, 0...255), ("ping", 128, 0...255), ("echo-reply", 129, 0...255), ("pong", 129, 0...255),
        ("router-solicitation", 133, 0...255), ("router-advertisement", 134, 0...255),
        ("neighbour-solicitation", 135, 0...255), ("neighbor-solicitation", 135, 0...255),
        ("neighbour-advertisement", 136, 0...255), ("neighbor-advertisement", 136, 0...255),
        ("redirect", 137, 0...255),
    ]

    /// Parses a name (any unambiguous, case-insensitive abbreviation, as iptables allows) or
    /// `TYPE[/CODE[:CODE]]` with numbers from 0 to 255.
    static func parse(_ option: ParsedOption, names: [Name], what: String) throws -> ICMPType {
        let text = option.argument
        let candidates = names.filter { MatchValueSyntax.abbreviates(text[...], $0.name) }
        if candidates.count > 1 {
            throw option.invalid("\(ModelError.quote(text)) is ambiguous: it could be \(candidates.prefix(2).map(\.name).joined(separator: " or ")); write more of the name.")
        }
        if let entry = candidates.first { return ICMPType(type: entry.type, codes: entry.codes) }

        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ part: Substring) throws -> UInt8 {
            guard let value = MatchValueSyntax.cNumber(part, maximum: 255) else {
                throw option.invalid("\(ModelError.quote(text)) is not an \(what) type: write a name such as echo-request, or TYPE or TYPE/CODE with numbers from 0 to 255.")
            }
            return UInt8(value)
        }
        guard !parts[0].contains(":") else { throw option.invalid("\(what) type ranges are not supported: write one type.") }
        let type = try number(parts[0])
        guard parts.count == 2 else { return ICMPType(type: type) }
        let codeParts = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let low = try number(codeParts[0])
        let high = codeParts.count == 2 ? try number(codeParts[1]) : low
        guard low <= high else { throw option.invalid("the code range is backwards: write the lower code first.") }
        return ICMPType(type: type, codes: low...high)
    }
}

/// `-m icmp --icmp-type TYPE`: the ICMP type and code. IPv4 only; needs `-p icmp`.
///
/// Kernel: `ipt_icmp`, revision 0. iptables-save prints the type as a number (`8`, `3/3`), or `any`.
public struct ICMPMatch: MatchExtension {
    public static let name = "icmp"
    public static let families: Set<Family> = [.ipv4]
    public static let options = [ExtensionOption("--icmp-type", negatable: true)]

    /// `--icmp-type`: required.
    public var icmpType: Negatable<ICMPType>?

    public init() {}

    /// `--icmp-type icmpType`, negated or not.
    public init(_ icmpType: ICMPType, negated: Bool = false) {
        self.icmpType = Negatable(icmpType, negated: negated)
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--icmp-type" else {
            throw ModelError(.unknownOption, input: option.name, "icmp has no option \(option.name); it takes --icmp-type.", at: option.location)
        }
        try MatchValueSyntax.once(icmpType, option)
        icmpType = Negatable(try ICMPType.parse(option, names: ICMPType.ipv4Names, what: "ICMP"), negated: option.negated)
    }

    public func validate(context: ExtensionContext) throws {
        guard icmpType != nil else {
            throw ModelError(.missingArgument, input: "-m icmp", "-m icmp needs --icmp-type, such as --icmp-type echo-request.")
        }
        guard context.family == .ipv4 else {
            throw ModelError(.notAllowed, input: "-m icmp", "-m icmp is for IPv4 rules; IPv6 rules use -m icmp6 --icmpv6-type.")
        }
        guard context.ipProtocol == .icmp else {
            throw ModelError(.notAllowed, input: "-m icmp", "-m icmp needs the rule to match -p icmp (not negated); the kernel refuses it otherwise.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        guard let icmpType else { return }
        writer.option("--icmp-type", icmpType.value.type == 255 ? "any" : icmpType.value.description, negated: icmpType.negated)
    }
}
