/// `-j SNAT --to-source RANGE [--random] [--random-fully] [--persistent]`: rewrite the source
/// address (and port) to `RANGE`. nat table; POSTROUTING and INPUT only (the kernel refuses it elsewhere).
///
/// iptables-save prints `--to-source`, then `--random`, `--random-fully`, `--persistent`.
/// Kernel: IPv4 revision 0 `nf_nat_ipv4_multi_range_compat`; IPv6 revision 1 `nf_nat_range`.
public struct SNATTarget: TargetExtension {
    public static let name = "SNAT"
    public static let options = [
        ExtensionOption("--to-source"),
        ExtensionOption("--random", arguments: 0),
        ExtensionOption("--random-fully", arguments: 0),
        ExtensionOption("--persistent", arguments: 0),
    ]
    public static let allowedTables: Set<TableName>? = [.nat]
    public static let allowedChains: Set<ChainName>? = [.postrouting, .input]

    /// The source addresses and ports to map to; required.
    public var source: NATRange?
    /// Randomise the source port (`NF_NAT_RANGE_PROTO_RANDOM`).
    public var random: Bool
    /// Randomise the source port fully (`NF_NAT_RANGE_PROTO_RANDOM_FULLY`).
    public var randomFully: Bool
    /// Give a client the same source address for every connection (`NF_NAT_RANGE_PERSISTENT`).
    public var persistent: Bool

    public init() { self.init(source: nil) }

    /// `-j SNAT --to-source source`, with `--random`, `--random-fully` and `--persistent` as given.
    public init(source: NATRange?, random: Bool = false, randomFully: Bool = false, persistent: Bool = false) {
        self.source = source
        self.random = random
        self.randomFully = randomFully
        self.persistent = persistent
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--to-source":
            guard source == nil else { throw option.usedTwice(Self.name) }
            do {
                source = try NATRange(parsing: option.argument, family: context.family)
            } catch let error as ModelError {
                throw option.wrapping(error)
            }
        case "--random": random = true
        case "--random-fully": randomFully = true
        case "--persistent": persistent = true
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "SNAT has no option \(option.name): it takes --to-source, --random, --random-fully and --persistent.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard let source else {
            throw ModelError(.missingArgument, input: "SNAT", "SNAT needs --to-source ADDR[-ADDR][:PORT[-PORT]].")
        }
        try source.validate(option: "--to-source", context: context)
        if source.portBase != nil {
            throw ModelError(.invalidValue, input: "--to-source \(source)", "--to-source \(source): a shifted port map (/PORT) is for DNAT only.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let source { writer.option("--to-source", source.description) }
        if random { writer.word("--random") }
        if randomFully { writer.word("--random-fully") }
        if persistent { writer.word("--persistent") }
    }
}
