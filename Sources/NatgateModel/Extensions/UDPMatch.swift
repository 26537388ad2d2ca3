/// `-m udp`: UDP source and destination ports. Needs `-p udp`.
///
/// Kernel: `xt_udp`, revision 0. iptables-save prints `--sport` then `--dport`, as numbers, and
/// omits a range of 0:65535.
public struct UDPMatch: MatchExtension {
    public static let name = "udp"
    public static let options = [
        ExtensionOption("--sport", "--source-port", negatable: true),
        ExtensionOption("--dport", "--destination-port", negatable: true),
    ]

    /// `--sport`: the source port or range.
    public var sourcePort: Negatable<PortRange>?
    /// `--dport`: the destination port or range.
    public var destinationPort: Negatable<PortRange>?

    /// Options already parsed, to refuse a second `--sport` even when the first was `0:65535`
    /// (which leaves no test). Not part of the value.
    private var parsedOptions: Set<String> = []

    public init() {}

    public static func == (lhs: UDPMatch, rhs: UDPMatch) -> Bool { lhs.sourcePort == rhs.sourcePort && lhs.destinationPort == rhs.destinationPort }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(sourcePort)
        hasher.combine(destinationPort)
    }

    /// A udp match of the ports given (nil: not tested).
    public init(sourcePort: Negatable<PortRange>? = nil, destinationPort: Negatable<PortRange>? = nil) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        switch option.name {
        case "--sport", "--source-port":
            try once("--sport", option)
            sourcePort = TCPMatch.ports(try MatchValueSyntax.portRange(option, style: .portRC), negated: option.negated)
        case "--dport", "--destination-port":
            try once("--dport", option)
            destinationPort = TCPMatch.ports(try MatchValueSyntax.portRange(option, style: .portRC), negated: option.negated)
        default:
            throw ModelError(.unknownOption, input: option.name, "udp has no option \(option.name).", at: option.location)
        }
    }

    private mutating func once(_ canonical: String, _ option: ParsedOption) throws {
        guard parsedOptions.insert(canonical).inserted else {
            throw ModelError(.notAllowed, input: option.name, "\(option.name) is given twice: give it once.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard context.ipProtocol == .udp else {
            throw ModelError(.notAllowed, input: "-m udp", "-m udp needs the rule to match -p udp (not negated); the kernel refuses it otherwise.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        TCPMatch.savePorts("--sport", sourcePort, to: &writer)
        TCPMatch.savePorts("--dport", destinationPort, to: &writer)
    }
}
