/// Where a NAT target maps packets to: an address or address range, a port or port range, or both,
/// as `--to-source` and `--to-destination` take them.
///
/// Text forms (libxt_NAT's `parse_to`, iptables 1.8.9):
/// - IPv4: `ADDR[-ADDR][:PORT[-PORT]]`, or `:PORT[-PORT]` for ports alone.
/// - IPv6: `ADDR[-ADDR]` without ports; `[ADDR[-ADDR]]:PORT[-PORT]` with them; `:PORT[-PORT]` for ports alone.
/// - DNAT only: a port range may end in `/BASE`, the first port of a shifted port map.
///
/// Ports need the rule to match `-p tcp`, `udp`, `sctp`, `dccp` or `icmp` (iptables' list).
/// Host names and service names are not resolved: write addresses and port numbers.
public struct NATRange: Hashable, Sendable, CustomStringConvertible {
    /// An inclusive range of addresses, `first-last`; a single address when both are equal.
    ///
    /// The kernel does not require `first <= last`, and neither does natgate, so that every range
    /// iptables accepts can be read back.
    public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
        /// The first address.
        public var first: IPAddress
        /// The last address, included.
        public var last: IPAddress

        /// The single address `address`.
        public init(_ address: IPAddress) {
            first = address
            last = address
        }

        /// The addresses from `first` to `last`.
        public init(first: IPAddress, last: IPAddress) {
            self.first = first
            self.last = last
        }

        /// Whether the range is one address.
        public var isSingleAddress: Bool { first == last }

        /// `192.0.2.1`, or `192.0.2.1-192.0.2.9`.
        public var description: String { isSingleAddress ? first.description : "\(first)-\(last)" }
    }

    /// The addresses to map to; nil keeps the address and maps ports only.
    public var addresses: AddressRange?
    /// The ports to map to; nil keeps the port.
    public var ports: PortRange?
    /// The first port of a shifted port map (`:1000-2000/1500`), DNAT only.
    public var portBase: UInt16?

    /// A mapping to `addresses` and `ports`; nil keeps the packet's own.
    public init(addresses: AddressRange? = nil, ports: PortRange? = nil, portBase: UInt16? = nil) {
        self.addresses = addresses
        self.ports = ports
        self.portBase = portBase
    }

    /// One address, with optional ports: `NATRange(.v4(IPv4Address(192, 0, 2, 1)), ports: …)`.
    public init(_ address: IPAddress, ports: PortRange? = nil) {
        self.init(addresses: AddressRange(address), ports: ports)
    }

    /// The protocols whose rules may map ports, as libxt_NAT checks them: tcp, udp, sctp, dccp, icmp.
    public static let portProtocols: [IPProtocol] = [.tcp, .udp, .sctp, IPProtocol(number: 33), .icmp]

    /// Whether a rule matching `ipProtocol` may map ports.
    public static func allowsPorts(_ ipProtocol: IPProtocol?) -> Bool {
        ipProtocol.map(portProtocols.contains) ?? false
    }

    /// Parses `--to-source` / `--to-destination` text for `family`.
    ///
    /// - Parameters:
    ///   - text: the option's argument, such as `203.0.113.7:1024-65535`.
    ///   - family: the family of the addresses.
    ///   - allowingPortBase: whether `/BASE` after a port range is accepted (DNAT).
    /// - Throws: `ModelError` naming the text and saying which part is wrong.
    public init(parsing text: String, family: Family, allowingPortBase: Bool = false) throws {
        self.init()
        var addressText = Substring(text)
        var portText: Substring?
        if text.hasPrefix("[") {
            guard family == .ipv6, let close = text.firstIndex(of: "]") else {
                throw ModelError(
                    .invalidValue, input: text,
                    family == .ipv4
                        ? "\(ModelError.quote(text)): brackets are for IPv6 addresses; write an IPv4 range as ADDR[-ADDR][:PORT[-PORT]]."
                        : "\(ModelError.quote(text)) has no closing ']': write [ADDR]:PORT, such as [2001:db8::1]:8080.")
            }
            addressText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if let colon = rest.firstIndex(of: ":") { portText = rest[rest.index(after: colon)...] }
        } else if let colon = text.firstIndex(of: ":"), !text[text.index(after: colon)...].contains(":") {
            // One colon separates the ports; more than one means an IPv6 address without ports.
            addressText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if let portText {
            let (ports, base) = try NATRange.parsePorts(portText, in: text, allowingPortBase: allowingPortBase)
            self.ports = ports
            self.portBase = base
        }
        if addressText.isEmpty && portText != nil { return }
        var firstText = addressText
        var lastText: Substring?
        if let dash = addressText.firstIndex(of: "-") {
            firstText = addressText[..<dash]
            lastText = addressText[addressText.index(after: dash)...]
        }
        let first = try NATRange.address(firstText, family: family, in: text)
        let last = try lastText.map { try NATRange.address($0, family: family, in: text) } ?? first
        addresses = AddressRange(first: first, last: last)
    }

    static func address(_ text: Substring, family: Family, in whole: String) throws -> IPAddress {
        switch family {
        case .ipv4:
            if let address = IPv4Address(parsing: text) { return .v4(address) }
            if IPv6Address(parsing: text) != nil {
                throw ModelError(
                    .invalidAddress, input: String(text),
                    "\(ModelError.quote(text)) is an IPv6 address, but the rule is IPv4: write an IPv4 address, or put the rule in the IPv6 table.")
            }
        case .ipv6:
            if let address = IPv6Address(parsing: text) { return .v6(address) }
            if IPv4Address(parsing: text) != nil {
                throw ModelError(
                    .invalidAddress, input: String(text),
                    "\(ModelError.quote(text)) is an IPv4 address, but the rule is IPv6: write an IPv6 address, or put the rule in the IPv4 table.")
            }
        }
        throw ModelError(
            .invalidAddress, input: String(text),
            "\(ModelError.quote(text)) is not an \(family == .ipv4 ? "IPv4" : "IPv6") address (host names are not resolved).")
    }

    /// Parses `PORT[-PORT[/BASE]]` as libxt_NAT's `parse_ports` does, numbers only.
    static func parsePorts(_ text: Substring, in whole: String, allowingPortBase: Bool) throws -> (PortRange, UInt16?) {
        func number(_ part: Substring, minimum: UInt16 = 0) throws -> UInt16 {
            // xtables_strtoui with base 0, as iptables reads ports: 0x50 and 0120 are 80.
            guard let value = XtablesNumber.unsigned(part, in: UInt64(minimum)...65535) else {
                throw ModelError(
                    .invalidValue, input: whole,
                    "'\(part)' is not a port: write a number from \(minimum) to 65535 (service names are not resolved).")
            }
            return UInt16(value)
        }
        if text.contains(":") {
            throw ModelError(.invalidValue, input: whole, "Write a port range with a dash, such as 1024-65535, not a colon.")
        }
        var rangeText = text
        var baseText: Substring?
        if let slash = text.firstIndex(of: "/") {
            rangeText = text[..<slash]
            baseText = text[text.index(after: slash)...]
        }
        let parts = rangeText.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let lower = try number(parts[0])
        let upper = parts.count == 2 ? try number(parts[1]) : lower
        guard lower <= upper else {
            throw ModelError(.invalidValue, input: whole, "Port range \(lower)-\(upper) is backwards: write the lower port first.")
        }
        var base: UInt16?
        if let baseText {
            guard allowingPortBase else {
                throw ModelError(.invalidValue, input: whole, "A shifted port map (/PORT) is for DNAT only.")
            }
            guard parts.count == 2 else {
                throw ModelError(.invalidValue, input: whole, "/PORT follows a port range, such as 1000-2000/1500.")
            }
            base = try number(baseText, minimum: 1)
        }
        return (try PortRange(lower: lower, upper: upper), base)
    }

    /// The text iptables-save prints (libxt_NAT's `sprint_range`): addresses, in brackets when they
    /// are IPv6 and ports follow, then `:PORT[-PORT][/BASE]`.
    public var description: String {
        var text = ""
        if let addresses {
            let brackets = addresses.first.family == .ipv6 && ports != nil
            text += brackets ? "[\(addresses)]" : addresses.description
        }
        if let ports {
            text += ":" + ports.text(separator: "-")
            if let portBase { text += "/\(portBase)" }
        }
        return text
    }

    /// Checks the range against the rule: addresses of the rule's family, ports only with a protocol
    /// that has them. `option` names the option in messages.
    func validate(option: String, context: ExtensionContext) throws {
        if let addresses {
            for address in [addresses.first, addresses.last] where address.family != context.family {
                throw ModelError(
                    .invalidAddress, input: address.description,
                    "\(option) \(self): \(address) is an \(address.family == .ipv4 ? "IPv4" : "IPv6") address, but the rule is \(context.family == .ipv4 ? "IPv4" : "IPv6"): use an address of the rule's family.")
            }
        }
        if ports != nil, !NATRange.allowsPorts(context.ipProtocol) {
            throw ModelError(
                .notAllowed, input: "\(option) \(self)",
                "\(option) \(self) maps ports, which needs the rule to match -p tcp, udp, sctp, dccp or icmp: add -p, or drop the ports.")
        }
        if portBase != nil, ports.map(\.isSinglePort) ?? true {
            throw ModelError(.invalidValue, input: "\(option) \(self)", "\(option) \(self): /PORT follows a port range, such as 1000-2000/1500.")
        }
    }
}

extension ParsedOption {
    /// An error for an option given twice, as iptables refuses it.
    func usedTwice(_ target: String) -> ModelError {
        ModelError(.invalidValue, input: name, "\(target): \(name) can only be used once: keep one.", at: location)
    }

    /// `error`, its message prefixed with this option and its value, placed at this option.
    func wrapping(_ error: ModelError) -> ModelError {
        var copy = error
        copy.message = "\(name) \(arguments.joined(separator: " ")): \(error.message)"
        return location.map(copy.located(at:)) ?? copy
    }
}
