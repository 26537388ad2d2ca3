/// An Ethernet (MAC) address, such as `00:11:22:33:44:55`.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes in wire order.
    public var bytes: [UInt8]

    /// Six bytes; traps on any other count.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 6, "a MAC address has 6 bytes, not \(bytes.count)")
        self.bytes = bytes
    }

    /// Parses six groups of one or two hexadecimal digits separated by colons, as libxtables'
    /// `XTTYPE_ETHERMAC` does (`0:1:2:a:B:c` is `00:01:02:0a:0b:0c`; an empty group is 0).
    public init(_ text: String) throws {
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for group in groups where groups.count == 6 {
            guard group.count <= 2, group.allSatisfy(\.isHexDigit), let value = group.isEmpty ? 0 : UInt8(group, radix: 16) else { break }
            bytes.append(value)
        }
        guard bytes.count == 6 else {
            throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)) is not a MAC address: write six hexadecimal bytes separated by colons, such as 00:11:22:33:44:55.")
        }
        self.bytes = bytes
    }

    /// Lower-case, two digits a byte, as `xtables_print_mac` prints it.
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

/// `-m mac [!] --mac-source ADDRESS`: matches the Ethernet source address. The kernel allows it in
/// PREROUTING, INPUT and FORWARD only.
///
/// Kernel: `xt_mac_info`, revision 0.
public struct MacMatch: MatchExtension {
    public static let name = "mac"
    public static let options = [ExtensionOption("--mac-source", negatable: true)]

    /// `--mac-source`: the source MAC address.
    public var source: Negatable<MACAddress>

    public init() { source = Negatable(MACAddress(bytes: [0, 0, 0, 0, 0, 0])) }

    /// `--mac-source source`, negated or not.
    public init(source: MACAddress, negated: Bool = false) {
        self.source = Negatable(source, negated: negated)
        hasSource = true
    }

    // Whether an address was given (by parse or the initialiser); `-m mac` alone is an error.
    private var hasSource = false
    public static func == (lhs: MacMatch, rhs: MacMatch) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--mac-source" else {
            throw ModelError(.unknownOption, input: option.name, "mac has no option \(option.name); it takes --mac-source ADDRESS.", at: option.location)
        }
        guard !hasSource else { throw option.invalid("mac takes --mac-source only once.") }
        do { source = Negatable(try MACAddress(option.argument), negated: option.negated) } catch let error as ModelError {
            throw option.invalid(error.message)
        }
        hasSource = true
    }

    /// The kernel accepts the match only from PREROUTING, INPUT and FORWARD (EINVAL elsewhere).
    public func validate(context: ExtensionContext) throws {
        guard hasSource else { throw ModelError(.missingArgument, input: "-m mac", "mac needs --mac-source ADDRESS.") }
        if let chain = context.chain, [ChainName.output, .postrouting].contains(chain) {
            throw ModelError(.notAllowed, input: "-m mac", "mac matches only in PREROUTING, INPUT and FORWARD; the kernel refuses it in \(chain).")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--mac-source", source.value.description, negated: source.negated)
    }
}
