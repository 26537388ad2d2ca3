/// `-m multiport`: up to 15 ports or ranges in one rule, tested against the source port, the
/// destination port, or either. Needs `-p tcp`, `udp`, `udplite`, `sctp` or `dccp`.
///
/// Kernel: `xt_multiport_v1`, revision 1: 15 port slots, a range taking two. iptables-save prints
/// `! --dports 22,80,1000:2000` (the `!` before the option), ports as numbers.
public struct MultiportMatch: MatchExtension {
    public static let name = "multiport"
    public static let options = [
        ExtensionOption("--sports", "--source-ports", negatable: true),
        ExtensionOption("--dports", "--destination-ports", negatable: true),
        ExtensionOption("--ports", negatable: true),
    ]
    /// The kernel's number of port slots (`XT_MULTI_PORTS`); a range uses two.
    public static let slotCount = 15

    /// Which port of the packet the list is tested against.
    public enum Direction: String, Hashable, Sendable, CaseIterable {
        /// `--sports`
        case source = "--sports"
        /// `--dports`
        case destination = "--dports"
        /// `--ports`: the source or the destination port.
        case either = "--ports"
    }

    /// Which port of the packet is tested.
    public var direction: Direction
    /// The ports and ranges, in the order given; a range's lower port must be below its upper one.
    public var ports: [PortRange]
    /// `!`: the packet's port is in none of them.
    public var negated: Bool

    public init() { self.init(.destination, ports: []) }

    /// A multiport match of `ports` in `direction`, negated or not.
    public init(_ direction: Direction, ports: [PortRange], negated: Bool = false) {
        self.direction = direction
        self.ports = ports
        self.negated = negated
    }

    /// The kernel slots the ports take: one a port, two a range.
    public var slotsUsed: Int { ports.reduce(0) { $0 + ($1.isSinglePort ? 1 : 2) } }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        let direction: Direction
        switch option.name {
        case "--sports", "--source-ports": direction = .source
        case "--dports", "--destination-ports": direction = .destination
        case "--ports": direction = .either
        default:
            throw ModelError(.unknownOption, input: option.name, "multiport has no option \(option.name); it takes one of --sports, --dports or --ports.", at: option.location)
        }
        guard ports.isEmpty else {
            throw ModelError(.notAllowed, input: option.name, "multiport takes only one of --sports, --dports and --ports, once.", at: option.location)
        }
        var parsed: [PortRange] = []
        for item in option.argument.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let lower = try MatchValueSyntax.cPort(bounds[0], option: option)
            guard bounds.count == 2 else {
                parsed.append(PortRange(lower))
                continue
            }
            let upper = try MatchValueSyntax.cPort(bounds[1], option: option)
            guard lower < upper else {
                throw option.invalid("the range \(item) must go from a lower to a higher port (write a single port without ':').")
            }
            parsed.append(try PortRange(lower: lower, upper: upper))
        }
        self = MultiportMatch(direction, ports: parsed, negated: option.negated)
        guard slotsUsed <= MultiportMatch.slotCount else {
            throw option.invalid("too many ports: the kernel holds \(MultiportMatch.slotCount) slots and a range takes two; this list needs \(slotsUsed). Split it over two rules.")
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard !ports.isEmpty else {
            throw ModelError(.missingArgument, input: "-m multiport", "-m multiport needs --sports, --dports or --ports with a list of ports.")
        }
        guard slotsUsed <= MultiportMatch.slotCount else {
            throw ModelError(.notAllowed, input: "\(direction.rawValue) \(portList)", "multiport \(direction.rawValue) \(portList) needs \(slotsUsed) of the kernel's \(MultiportMatch.slotCount) slots (a range takes two). Split it over two rules.")
        }
        if let bad = ports.first(where: { !$0.isSinglePort && $0.lower >= $0.upper }) {
            throw ModelError(.notAllowed, input: bad.text(separator: ":"), "multiport range \(bad.text(separator: ":")) must go from a lower to a higher port.")
        }
        guard let proto = context.ipProtocol, MatchValueSyntax.portProtocols.contains(proto) else {
            throw ModelError(.notAllowed, input: "-m multiport", "-m multiport needs the rule to match -p tcp, udp, udplite, sctp or dccp (not negated).")
        }
    }

    /// `22,80,1000:2000`.
    var portList: String { ports.map { $0.text(separator: ":") }.joined(separator: ",") }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        guard !ports.isEmpty else { return }
        writer.option(direction.rawValue, portList, negated: negated)
    }
}
