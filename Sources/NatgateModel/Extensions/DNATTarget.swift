/// `-j DNAT --to-destination RANGE [--random] [--persistent]`: rewrite the destination address
/// (and port) to `RANGE`. nat table; PREROUTING and OUTPUT only (the kernel refuses it elsewhere).
///
/// `RANGE` may end in a shifted port map, `:1000-2000/1500`. iptables-save prints
/// `--to-destination`, then `--random`, `--persistent`.
/// Kernel: revision 2, `nf_nat_range2`, for both families.
public struct DNATTarget: TargetExtension {
    public static let name = "DNAT"
    public static let options = [
        ExtensionOption("--to-destination"),
        ExtensionOption("--random", arguments: 0),
        ExtensionOption("--persistent", arguments: 0),
    ]
    public static let allowedTables: Set<TableName>? = [.nat]
    public static let allowedChains: Set<ChainName>? = [.prerouting, .output]

    /// The destination addresses and ports to map to; required.
    public var destination: NATRange?
    /// Randomise the port (`NF_NAT_RANGE_PROTO_RANDOM`).
    public var random: Bool
    /// Map a client to the same destination for every connection (`NF_NAT_RANGE_PERSISTENT`).
    public var persistent: Bool

    public init() { self.init(destination: nil) }

    /// `-j DNAT --to-destination destination`, with `--random` and `--persistent` when given.
    public init(destination: NATRange?, random: Bool = false, persistent: Bool = false) {
        self.destination = destination
        self.random = random
        self.persistent = persistent
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--to-destination":
            guard destination == nil else { throw option.usedTwice(Self.name) }
            do {
                destination = try NATRange(parsing: option.argument, family: context.family, allowingPortBase: true)
            } catch let error as ModelError {
                throw option.wrapping(error)
            }
        case "--random": random = true
        case "--persistent": persistent = true
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "DNAT has no option \(option.name): it takes --to-destination, --random and --persistent.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard let destination else {
            throw ModelError(.missingArgument, input: "DNAT", "DNAT needs --to-destination ADDR[-ADDR][:PORT[-PORT]].")
        }
        try destination.validate(option: "--to-destination", context: context)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let destination { writer.option("--to-destination", destination.description) }
        if random { writer.word("--random") }
        if persistent { writer.word("--persistent") }
    }
}
