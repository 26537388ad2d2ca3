/// A network interface name or pattern as iptables matches it: `eth0`, or `veth+` for every name
/// that starts with `veth`.
///
/// Checked as iproute2 checks a name, and stricter than the kernel (which lets control characters
/// through): 1 to 15 bytes (the kernel's `IFNAMSIZ` less the NUL), printable (no NUL, no control
/// or other invisible characters), no white space, `/`, `:` or quotes, not `.` or `..`, and `+`
/// only as the last character. Every name that enters natgate (command line, policy file,
/// iptables-save text, the kernel's entries) is made here, so none of these reaches libiptc or a
/// terminal.
public struct InterfaceName: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// An interface name, validated as the type's description says; a trailing `+` is a wildcard.
    ///
    /// - Throws: `ModelError` (`.invalidInterface`) naming the text and what is wrong with it.
    public init(_ text: String) throws {
        // The common case, a short name of printable ASCII without anything refused below, is
        // settled byte by byte; anything else goes through the checks that word the error.
        if InterfaceName.isPlainValid(text.utf8) {
            rawValue = text
            return
        }
        let bytes = text.utf8.count
        guard bytes > 0 else {
            throw ModelError(.invalidInterface, input: text, "The interface name is empty: write a name such as eth0, or veth+ for all names starting with veth.")
        }
        // Built only for a message: set members and rules read back make thousands of names.
        var quoted: String { ModelError.quote(text) }
        // Printable ASCII has no invisible character: skip the Unicode lookups for it.
        let plainASCII = !text.utf8.contains { $0 < 0x21 || $0 > 0x7E }
        if !plainASCII, let bad = text.unicodeScalars.first(where: \.isInvisible) {
            throw ModelError(
                .invalidInterface, input: text,
                "Interface name \(quoted) contains the invisible character \(bad.escaped(asASCII: true)), which no interface name may hold. Use the name 'ip link' shows.")
        }
        guard bytes <= 15 else {
            throw ModelError(
                .invalidInterface, input: text,
                "Interface name \(quoted) is \(bytes) bytes long; Linux allows at most 15. Use the name 'ip link' shows.")
        }
        if !plainASCII || text.utf8.contains(where: { $0 == 0x2F || $0 == 0x3A || $0 == 0x22 || $0 == 0x27 }),
            let bad = text.first(where: { $0.isWhitespace || $0 == "/" || $0 == ":" || $0 == "\"" || $0 == "'" })
        {
            throw ModelError(.invalidInterface, input: text, "Interface name \(quoted) contains \(ModelError.quote(String(bad))), which Linux does not allow in interface names.")
        }
        if text == "." || text == ".." {
            throw ModelError(.invalidInterface, input: text, "Interface name \(quoted) is not allowed: Linux refuses '.' and '..' as names (they are directory names under /sys/class/net). Use the name 'ip link' shows.")
        }
        if let plus = text.firstIndex(of: "+"), plus != text.index(before: text.endIndex) {
            throw ModelError(.invalidInterface, input: text, "Interface name \(quoted) has '+' before its end; '+' is a wildcard only as the last character, as in veth+.")
        }
        rawValue = text
    }

    /// A name known to be valid, such as one in natgate's own code; traps on an invalid one.
    public init(valid text: String) {
        do { try self.init(text) } catch { preconditionFailure("\(error)") }
    }

    /// Whether `bytes` are 1 to 15 bytes of printable ASCII (`!` to `~`) without `/`, `:` or
    /// quotes, not `.` or `..`, with `+` at most as the last byte: a name every check of
    /// `init(_:)` accepts. False says nothing; `init(_:)` then decides.
    static func isPlainValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        let count = bytes.count
        guard count > 0, count <= 15 else { return false }
        var index = 0
        for byte in bytes {
            index += 1
            switch byte {
            case UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "'"): return false
            case UInt8(ascii: "+"): if index != count { return false }
            case 0x21...0x7E: continue
            default: return false
            }
        }
        if count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return false }
        return true
    }

    /// Whether the name ends in `+` and so matches every interface whose name starts with the rest.
    public var isWildcard: Bool { rawValue.hasSuffix("+") }

    /// The name without a trailing `+`.
    public var stem: String { isWildcard ? String(rawValue.dropLast()) : rawValue }

    /// Whether a concrete interface called `name` is matched by this name or pattern.
    public func matches(_ name: String) -> Bool { isWildcard ? name.hasPrefix(stem) : name == rawValue }

    public var description: String { rawValue }
    public static func < (lhs: InterfaceName, rhs: InterfaceName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws { try self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The name of a chain: a built-in one (`FORWARD`) or a user-defined one (`NATGATE-FWD`).
///
/// At most 28 characters: libiptc accepts up to 31 but the kernel truncates longer names, which can
/// make two chains share a name. No white space, and not starting with `-` or `!`.
public struct ChainName: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The longest chain name natgate takes, in bytes: longer ones the kernel truncates.
    public static let maximumLength = 28
    public let rawValue: String

    /// A chain name, validated: 1 to `maximumLength` bytes of printable ASCII without spaces or
    /// quotes, not starting with `-` or `!`.
    ///
    /// - Throws: `ModelError` (`.invalidChainName`) naming the text.
    public init(_ text: String) throws {
        if ChainName.isPlainValid(text.utf8) {
            rawValue = text
            return
        }
        guard !text.isEmpty else {
            throw ModelError(.invalidChainName, input: text, "The chain name is empty: give a name of 1 to 28 characters.")
        }
        guard text.utf8.count <= ChainName.maximumLength else {
            throw ModelError(
                .invalidChainName, input: text,
                "Chain name \(ModelError.quote(text)) is \(text.utf8.count) characters long; the limit is 28 (the kernel truncates longer names). Use a shorter name.")
        }
        if let bad = text.first(where: { $0.isWhitespace || !$0.isASCII || $0 == "\"" || $0 == "'" }) {
            throw ModelError(.invalidChainName, input: text, "Chain name \(ModelError.quote(text)) contains '\(bad)'; use printable ASCII without spaces or quotes.")
        }
        if text.hasPrefix("-") || text.hasPrefix("!") {
            throw ModelError(.invalidChainName, input: text, "Chain name \(ModelError.quote(text)) starts with '\(text.first!)', which iptables would read as an option; start it with a letter.")
        }
        rawValue = text
    }

    /// A name known to be valid, such as one in natgate's own code; traps on an invalid one.
    public init(valid text: String) {
        do { try self.init(text) } catch { preconditionFailure("\(error)") }
    }

    /// Whether `bytes` are 1 to 28 bytes of ASCII without white space or quotes, not starting with
    /// `-` or `!`: a name every check of `init(_:)` accepts. False says nothing; `init(_:)` then
    /// decides (and words the error).
    static func isPlainValid(_ bytes: String.UTF8View) -> Bool {
        guard let first = bytes.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "!"), bytes.count <= maximumLength else { return false }
        for byte in bytes {
            switch byte {
            case 0x09...0x0D, UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "'"): return false
            case 0x80...: return false
            default: continue
            }
        }
        return true
    }

    /// The built-in chain `INPUT`.
    public static let input = ChainName(valid: "INPUT")
    /// The built-in chain `FORWARD`.
    public static let forward = ChainName(valid: "FORWARD")
    /// The built-in chain `OUTPUT`.
    public static let output = ChainName(valid: "OUTPUT")
    /// The built-in chain `PREROUTING`.
    public static let prerouting = ChainName(valid: "PREROUTING")
    /// The built-in chain `POSTROUTING`.
    public static let postrouting = ChainName(valid: "POSTROUTING")

    public var description: String { rawValue }
    public static func < (lhs: ChainName, rhs: ChainName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws { try self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Packet and byte counters, printed as `[packets:bytes]`.
public struct Counters: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Packets counted.
    public var packets: UInt64
    /// Bytes of those packets.
    public var bytes: UInt64

    /// Counters at `packets` and `bytes`.
    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }

    /// No packets, no bytes: a new chain's counters.
    public static let zero = Counters()

    public var description: String { "[\(packets):\(bytes)]" }
}
