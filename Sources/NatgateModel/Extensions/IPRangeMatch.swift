/// `-m iprange [!] --src-range FROM[-TO] [!] --dst-range FROM[-TO]`: matches source or destination
/// addresses in an inclusive range, which need not be a network. Both families.
///
/// A single address is a range of one and prints as `A-A`. A range whose first address is above
/// its last never matches; iptables only warns about it and loads it, and so natgate reads it too
/// (`AddressRange.isBackwards` tells).
///
/// Kernel: `xt_iprange_mtinfo`, revision 1.
public struct IPRangeMatch: MatchExtension {
    public static let name = "iprange"
    public static let options = [
        ExtensionOption("--src-range", negatable: true),
        ExtensionOption("--dst-range", negatable: true),
    ]

    /// An inclusive range of addresses of one family.
    public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
        /// The first address.
        public var lower: IPAddress
        /// The last address, included.
        public var upper: IPAddress

        /// A range from `lower` to `upper`; both must be of one family.
        public init(lower: IPAddress, upper: IPAddress) throws {
            guard lower.family == upper.family else {
                throw ModelError(.invalidValue, input: "\(lower)-\(upper)", "iprange: \(lower)-\(upper) mixes IPv4 and IPv6; write two addresses of one family.")
            }
            self.lower = lower
            self.upper = upper
        }

        /// Whether the first address is above the last, so that the range matches nothing.
        public var isBackwards: Bool { upper < lower }

        /// A range of one address.
        public init(_ address: IPAddress) {
            lower = address
            upper = address
        }

        /// `FROM-TO`, as iptables-save prints it (also for a single address).
        public var description: String { "\(lower)-\(upper)" }

        /// Parses `ADDRESS` or `FROM-TO` for `family` as libxt_iprange does: IPv4 in
        /// `xtables_numeric_to_ipaddr`'s syntax (C numbers per byte, missing bytes 0: `10.1` is
        /// 10.1.0.0), IPv6 as `inet_pton` reads it.
        public init(_ text: String, family: Family) throws {
            let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            func address(_ part: Substring) throws -> IPAddress {
                let parsed: IPAddress? = switch family {
                case .ipv4: IPRangeMatch.xtablesIPv4(part).map(IPAddress.v4)
                case .ipv6: IPv6Address(parsing: part).map(IPAddress.v6)
                }
                guard let parsed else {
                    throw ModelError(
                        .invalidAddress, input: String(part),
                        "'\(part)' is not an \(family == .ipv4 ? "IPv4" : "IPv6") address; write FROM-TO such as \(family == .ipv4 ? "192.0.2.10-192.0.2.20" : "2001:db8::10-2001:db8::20").")
                }
                return parsed
            }
            let lower = try address(parts[0])
            try self.init(lower: lower, upper: parts.count == 2 ? try address(parts[1]) : lower)
        }
    }

    /// `[!] --src-range`.
    public var source: Negatable<AddressRange>?
    /// `[!] --dst-range`.
    public var destination: Negatable<AddressRange>?

    public init() { self.init(source: nil) }

    /// `--src-range` and `--dst-range` as given (nil: not tested).
    public init(source: Negatable<AddressRange>? = nil, destination: Negatable<AddressRange>? = nil) {
        self.source = source
        self.destination = destination
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        let range: AddressRange
        do { range = try AddressRange(option.argument, family: context.family) } catch let error as ModelError {
            throw option.invalid(error.message)
        }
        switch option.name {
        case "--src-range":
            guard source == nil else { throw option.invalid("iprange takes --src-range only once.") }
            source = Negatable(range, negated: option.negated)
        case "--dst-range":
            guard destination == nil else { throw option.invalid("iprange takes --dst-range only once.") }
            destination = Negatable(range, negated: option.negated)
        default:
            throw ModelError(.unknownOption, input: option.name, "iprange has no option \(option.name); it takes --src-range and --dst-range.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard source != nil || destination != nil else {
            throw ModelError(.missingArgument, input: "-m iprange", "iprange needs --src-range or --dst-range.")
        }
        for range in [source?.value, destination?.value].compactMap({ $0 }) where range.lower.family != context.family {
            throw ModelError(.invalidValue, input: range.description, "iprange: \(range) is not an \(context.family == .ipv4 ? "IPv4" : "IPv6") range, but the rule is.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let source { writer.option("--src-range", source.value.description, negated: source.negated) }
        if let destination { writer.option("--dst-range", destination.value.description, negated: destination.negated) }
    }

    /// An IPv4 address as libxtables' `xtables_numeric_to_ipaddr` reads it: up to four dot-separated
    /// C numbers from 0 to 255 (`010` is 8, `0x10` is 16); missing trailing bytes are 0.
    static func xtablesIPv4(_ text: Substring) -> IPv4Address? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var value: UInt32 = 0
        for index in 0..<4 {
            var byte: UInt64 = 0
            if index < parts.count {
                guard let parsed = XtablesNumber.unsigned(parts[index], in: 0...255) else { return nil }
                byte = parsed
            }
            value = value << 8 | UInt32(byte)
        }
        return IPv4Address(rawValue: value)
    }
}
