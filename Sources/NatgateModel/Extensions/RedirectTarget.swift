/// `-j REDIRECT [--to-ports PORT[-PORT]] [--random]`: send the packet to the local machine, at the
/// address of the interface it came in by (127.0.0.1 / ::1 for locally made packets).
/// nat table; PREROUTING and OUTPUT only (the kernel refuses it elsewhere).
///
/// iptables-save prints `--to-ports`, then `--random`.
/// Kernel, revision 0: IPv4 `nf_nat_ipv4_multi_range_compat` with rangesize 1; IPv6 `nf_nat_range`.
public struct RedirectTarget: TargetExtension {
    public static let name = "REDIRECT"
    public static let options = [
        ExtensionOption("--to-ports"),
        ExtensionOption("--random", arguments: 0),
    ]
    public static let allowedTables: Set<TableName>? = [.nat]
    public static let allowedChains: Set<ChainName>? = [.prerouting, .output]

    /// The local ports to redirect to; needs `-p tcp`, `udp`, `sctp`, `dccp` or `icmp`.
    public var ports: PortRange?
    /// Randomise the port (`NF_NAT_RANGE_PROTO_RANDOM`).
    public var random: Bool

    public init() { self.init(ports: nil) }

    /// `-j REDIRECT` with `--to-ports` and `--random` as given.
    public init(ports: PortRange?, random: Bool = false) {
        self.ports = ports
        self.random = random
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--to-ports": try ToPortsOption.parse(option, into: &ports, target: Self.name)
        case "--random": random = true
        default:
            throw ModelError(.unknownOption, input: option.name, "REDIRECT has no option \(option.name): it takes --to-ports and --random.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        try ToPortsOption.validate(ports, target: Self.name, context: context)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        ToPortsOption.save(ports, random: random, to: &writer)
    }
}
