/// TCP header flags, as `--tcp-flags` names them.
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The FIN flag.
    public static let fin = TCPFlags(rawValue: 0x01)
    /// The SYN flag.
    public static let syn = TCPFlags(rawValue: 0x02)
    /// The RST flag.
    public static let rst = TCPFlags(rawValue: 0x04)
    /// The PSH flag.
    public static let psh = TCPFlags(rawValue: 0x08)
    /// The ACK flag.
    public static let ack = TCPFlags(rawValue: 0x10)
    /// The URG flag.
    public static let urg = TCPFlags(rawValue: 0x20)
    /// The six flags iptables knows (`ALL`).
    public static let all: TCPFlags = [.fin, .syn, .rst, .psh, .ack, .urg]

    /// Names as iptables accepts them (case-insensitive); `ALL` and `NONE` are sets.
    static let names: [(String, TCPFlags)] = [
        ("FIN", .fin), ("SYN", .syn), ("RST", .rst), ("PSH", .psh), ("ACK", .ack), ("URG", .urg), ("ALL", .all), ("NONE", []),
    ]

    /// `FIN,SYN,RST,ACK`, or `NONE`, as iptables-save prints them (never `ALL`).
    public var description: String {
        let single = TCPFlags.names.prefix(6)
        return isEmpty ? "NONE" : single.filter { contains($0.1) }.map(\.0).joined(separator: ",")
    }

    /// Parses a comma-separated list of flag names, as iptables' `parse_tcp_flag` does (empty
    /// items are skipped, so `,` alone is `NONE`).
    static func parse(_ text: String, option: ParsedOption) throws -> TCPFlags {
        var flags = TCPFlags()
        for word in text.split(separator: ",") {
            guard let entry = names.first(where: { $0.0.caseInsensitiveCompare(word) }) else {
                throw option.invalid("'\(word)' is not a TCP flag: use SYN, ACK, FIN, RST, URG, PSH, ALL or NONE, separated by commas.")
            }
            flags.formUnion(entry.1)
        }
        return flags
    }
}

extension String {
    /// ASCII case-insensitive equality, as `strcasecmp` tests it.
    fileprivate func caseInsensitiveCompare(_ other: Substring) -> Bool {
        utf8.count == other.utf8.count && MatchValueSyntax.abbreviates(other, self)
    }
}

/// A TCP flags test: the packet's flags under `mask` must equal `comparison`.
public struct TCPFlagTest: Hashable, Sendable, CustomStringConvertible {
    /// The flags examined.
    public var mask: TCPFlags
    /// Of those, the flags that must be set; the others must be clear.
    public var comparison: TCPFlags

    /// `--tcp-flags mask comparison`.
    public init(mask: TCPFlags, comparison: TCPFlags) {
        self.mask = mask
        self.comparison = comparison
    }

    /// `--syn`: SYN set and FIN, RST, ACK clear (`--tcp-flags FIN,SYN,RST,ACK SYN`).
    public static let syn = TCPFlagTest(mask: [.fin, .syn, .rst, .ack], comparison: .syn)

    public var description: String { "\(mask) \(comparison)" }
}

/// `-m tcp`: TCP source and destination ports, flags and options. Needs `-p tcp`.
///
/// Kernel: `xt_tcp`, revision 0. iptables-save prints `--sport`, `--dport`, `--tcp-option` and
/// `--tcp-flags` in that order, ports as numbers, `--syn` as its `--tcp-flags` form, and omits a
/// port range of 0:65535.
public struct TCPMatch: MatchExtension {
    public static let name = "tcp"
    public static let options = [
        ExtensionOption("--sport", "--source-port", negatable: true),
        ExtensionOption("--dport", "--destination-port", negatable: true),
        ExtensionOption("--syn", arguments: 0, negatable: true),
        ExtensionOption("--tcp-flags", arguments: 2, negatable: true),
        ExtensionOption("--tcp-option", negatable: true),
    ]

    /// `--sport`: the source port or range.
    public var sourcePort: Negatable<PortRange>?
    /// `--dport`: the destination port or range.
    public var destinationPort: Negatable<PortRange>?
    /// `--tcp-flags MASK COMP`, or `--syn`.
    public var flags: Negatable<TCPFlagTest>?
    /// `--tcp-option N`: a TCP option kind (1 to 255) the packet carries.
    public var option: Negatable<UInt8>?

    /// Options already parsed, to refuse a second `--sport` even when the first was `0:65535`
    /// (which leaves no test). Not part of the value.
    private var parsedOptions: Set<String> = []

    public init() {}

    public static func == (lhs: TCPMatch, rhs: TCPMatch) -> Bool { lhs.sourcePort == rhs.sourcePort && lhs.destinationPort == rhs.destinationPort && lhs.flags == rhs.flags && lhs.option == rhs.option }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(sourcePort)
        hasher.combine(destinationPort)
        hasher.combine(flags)
        hasher.combine(option)
    }

    /// A tcp match of what is given (nil: not tested).
    public init(sourcePort: Negatable<PortRange>? = nil, destinationPort: Negatable<PortRange>? = nil,
                flags: Negatable<TCPFlagTest>? = nil, option: Negatable<UInt8>? = nil) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.flags = flags
        self.option = option
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        switch option.name {
        case "--sport", "--source-port":
            try once("--sport", option)
            sourcePort = TCPMatch.ports(try MatchValueSyntax.portRange(option, style: .tcp), negated: option.negated)
        case "--dport", "--destination-port":
            try once("--dport", option)
            destinationPort = TCPMatch.ports(try MatchValueSyntax.portRange(option, style: .tcp), negated: option.negated)
        case "--syn":
            try once("--tcp-flags", option)
            flags = Negatable(.syn, negated: option.negated)
        case "--tcp-flags":
            try once("--tcp-flags", option)
            guard option.arguments.count == 2 else { throw option.invalid("--tcp-flags needs two words: the flags to test and those that must be set, such as SYN,ACK SYN.") }
            let test = TCPFlagTest(mask: try TCPFlags.parse(option.arguments[0], option: option), comparison: try TCPFlags.parse(option.arguments[1], option: option))
            flags = test.mask.isEmpty && !option.negated ? nil : Negatable(test, negated: option.negated)
        case "--tcp-option":
            try MatchValueSyntax.once(self.option, option)
            guard let kind = MatchValueSyntax.cNumber(option.argument[...], maximum: 255), kind >= 1 else {
                throw option.invalid("write a TCP option kind from 1 to 255.")
            }
            self.option = Negatable(UInt8(kind), negated: option.negated)
        default:
            throw ModelError(.unknownOption, input: option.name, "tcp has no option \(option.name).", at: option.location)
        }
    }

    /// A port test, or nil for an un-negated 0:65535, which iptables stores as no test.
    static func ports(_ range: PortRange, negated: Bool) -> Negatable<PortRange>? {
        range.lower == 0 && range.upper == 65535 && !negated ? nil : Negatable(range, negated: negated)
    }

    private mutating func once(_ canonical: String, _ option: ParsedOption) throws {
        guard parsedOptions.insert(canonical).inserted else {
            let what = canonical == "--tcp-flags" ? "--syn and --tcp-flags are one test: give one of them, once." : "\(option.name) is given twice: give it once."
            throw ModelError(.notAllowed, input: option.name, what, at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard context.ipProtocol == .tcp else {
            throw ModelError(.notAllowed, input: "-m tcp", "-m tcp needs the rule to match -p tcp (not negated); the kernel refuses it otherwise.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        TCPMatch.savePorts("--sport", sourcePort, to: &writer)
        TCPMatch.savePorts("--dport", destinationPort, to: &writer)
        if let option { writer.option("--tcp-option", String(option.value), negated: option.negated) }
        if let flags, !flags.value.mask.isEmpty || flags.negated {
            writer.option("--tcp-flags", flags.value.mask.description, flags.value.comparison.description, negated: flags.negated)
        }
    }

    /// Prints a port test as tcp and udp do: omitted for 0:65535 even when negated.
    static func savePorts(_ name: String, _ ports: Negatable<PortRange>?, to writer: inout SaveWriter) {
        guard let ports, ports.value.lower != 0 || ports.value.upper != 65535 else { return }
        writer.option(name, ports.value.text(separator: ":"), negated: ports.negated)
    }
}
