/// `-m icmp6 --icmpv6-type TYPE`: the ICMPv6 type and code. IPv6 only; needs `-p ipv6-icmp`.
///
/// Kernel: `ip6t_icmp`, revision 0. ip6tables-save prints the type as a number (`128`, `1/3`);
/// unlike IPv4 there is no `any`.
public struct ICMPv6Match: MatchExtension {
    public static let name = "icmp6"
    public static let families: Set<Family> = [.ipv6]
    public static let options = [ExtensionOption("--icmpv6-type", negatable: true)]

    /// `--icmpv6-type`: required.
    public var icmpType: Negatable<ICMPType>?

    public init() {}

    /// `--icmpv6-type icmpType`, negated or not.
    public init(_ icmpType: ICMPType, negated: Bool = false) {
        self.icmpType = Negatable(icmpType, negated: negated)
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--icmpv6-type" else {
            throw ModelError(.unknownOption, input: option.name, "icmp6 has no option \(option.name); it takes --icmpv6-type.", at: option.location)
        }
        try MatchValueSyntax.once(icmpType, option)
        icmpType = Negatable(try ICMPType.parse(option, names: ICMPType.ipv6Names, what: "ICMPv6"), negated: option.negated)
    }

    public func validate(context: ExtensionContext) throws {
        guard icmpType != nil else {
            throw ModelError(.missingArgument, input: "-m icmp6", "-m icmp6 needs --icmpv6-type, such as --icmpv6-type echo-request.")
        }
        guard context.family == .ipv6 else {
            throw ModelError(.notAllowed, input: "-m icmp6", "-m icmp6 is for IPv6 rules; IPv4 rules use -m icmp --icmp-type.")
        }
        guard context.ipProtocol == .icmpv6 else {
            throw ModelError(.notAllowed, input: "-m icmp6", "-m icmp6 needs the rule to match -p ipv6-icmp (not negated); the kernel refuses it otherwise.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        guard let icmpType else { return }
        writer.option("--icmpv6-type", icmpType.value.description, negated: icmpType.negated)
    }
}
