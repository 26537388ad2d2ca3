/// `-j MASQUERADE [--to-ports P[-P]] [--random] [--random-fully]`: source NAT to the outgoing
/// interface's address. nat table, POSTROUTING only.
///
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

    /// The source ports to map to; needs `-p tcp`, `udp`, `sctp` or `dccp`.
    public var ports: PortRange?
    public var random: Bool
    public var randomFully: Bool

    public init() { self.init(ports: nil) }

    public init(ports: PortRange? = nil, random: Bool = false, randomFully: Bool = false) {
        self.ports = ports
        self.random = random
        self.randomFully = randomFully
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        switch option.name {
        case "--to-ports":
            do { ports = try PortRange(option.argument, separator: "-") } catch { throw option.invalid("write a port or a range such as 1024-65535.") }
        case "--random": random = true
        case "--random-fully": randomFully = true
        default: throw option.invalid("MASQUERADE has no such option.")
        }
    }

    public func validate(context: ExtensionContext) throws {
        if ports != nil, ![IPProtocol.tcp, .udp, .sctp, IPProtocol(number: 33)].contains(context.ipProtocol) {
            throw ModelError(.notAllowed, input: "--to-ports", "MASQUERADE --to-ports needs the rule to match -p tcp, udp, sctp or dccp.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let ports { writer.option("--to-ports", ports.text(separator: "-")) }
        if random { writer.word("--random") }
        if randomFully { writer.word("--random-fully") }
    }
}
