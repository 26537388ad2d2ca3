/// `-j MASQUERADE [--to-ports PORT[-PORT]] [--random] [--random-fully]`: source NAT to the address
/// of the interface the packet leaves by. nat table, POSTROUTING only (the kernel refuses it elsewhere).
///
/// iptables-save prints `--to-ports`, then `--random`, then `--random-fully`.
/// Kernel, revision 0: IPv4 `nf_nat_ipv4_multi_range_compat` with rangesize 1; IPv6 `nf_nat_range`.
public struct MasqueradeTarget: TargetExtension {
    public static let name = "MASQUERADE"
    public static let options = [
        ExtensionOption("--to-ports"),
        ExtensionOption("--random", arguments: 0),
        ExtensionOption("--random-fully", arguments: 0),
    ]
    public static let allowedTables: Set<TableName>? = [.nat]
    public static let allowedChains: Set<ChainName>? = [.postrouting]

    /// The source ports to map to; needs `-p tcp`, `udp`, `sctp`, `dccp` or `icmp`.
    public var ports: PortRange?
    /// Randomise the source port (`NF_NAT_RANGE_PROTO_RANDOM`).
    public var random: Bool
    /// Randomise the source port fully (`NF_NAT_RANGE_PROTO_RANDOM_FULLY`).
    public var randomFully: Bool

    public init() { self.init(ports: nil) }

    /// `-j MASQUERADE` with `--to-ports`, `--random` and `--random-fully` as given.
    public init(ports: PortRange? = nil, random: Bool = false, randomFully: Bool = false) {
        self.ports = ports
        self.random = random
        self.randomFully = randomFully
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--to-ports": try ToPortsOption.parse(option, into: &ports, target: Self.name)
        case "--random": random = true
        case "--random-fully": randomFully = true
        default: throw ModelError(.unknownOption, input: option.name, "MASQUERADE has no option \(option.name): it takes --to-ports, --random and --random-fully.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        try ToPortsOption.validate(ports, target: Self.name, context: context)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        ToPortsOption.save(ports, random: random, to: &writer)
        if randomFully { writer.word("--random-fully") }
    }
}

/// `--to-ports PORT[-PORT]` and `--random`, which MASQUERADE and REDIRECT take alike.
enum ToPortsOption {
    static func parse(_ option: ParsedOption, into ports: inout PortRange?, target name: String) throws {
        guard ports == nil else { throw option.usedTwice(name) }
        do {
            ports = try NATRange.parsePorts(Substring(option.argument), in: option.argument, allowingPortBase: false).0
        } catch let error as ModelError {
            throw option.wrapping(error)
        }
    }

    /// Ports need a protocol that has them.
    static func validate(_ ports: PortRange?, target name: String, context: ExtensionContext) throws {
        if let ports, !NATRange.allowsPorts(context.ipProtocol) {
            throw ModelError(
                .notAllowed, input: "--to-ports \(ports)",
                "\(name) --to-ports \(ports) needs the rule to match -p tcp, udp, sctp, dccp or icmp: add -p, or drop --to-ports.")
        }
    }

    /// `--to-ports`, then `--random`, as iptables-save prints them.
    static func save(_ ports: PortRange?, random: Bool, to writer: inout SaveWriter) {
        if let ports { writer.option("--to-ports", ports.text(separator: "-")) }
        if random { writer.word("--random") }
    }
}
