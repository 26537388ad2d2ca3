/// An IPv4 address, such as `10.200.1.1`.
public struct IPv4Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The address in host byte order: `10.0.0.1` is `0x0A00_0001`.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad notation (`192.0.2.1`); anything else, host names included, is an error.
    public init(_ text: String) throws {
        guard let value = IPv4Address(parsing: Substring(text)) else {
            throw ModelError(
                .invalidAddress, input: text,
                "\(ModelError.quote(text)) is not an IPv4 address: write four decimal numbers from 0 to 255 separated by dots, such as 192.0.2.1 (host names are not resolved).")
        }
        self = value
    }

    /// Parses dotted-quad notation, returning nil when `text` is not one.
    public init?(parsing text: Substring) {
        var value: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || current > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | current
                parts += 1
                current = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        rawValue = value << 8 | current
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16), UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue)]
    }

    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(15)
        appendText(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description`'s UTF-8 bytes (dotted quad) to `text`, without making a string.
    public func appendText(to text: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            if shift != 24 { text.append(UInt8(ascii: ".")) }
            let byte = UInt8(truncatingIfNeeded: rawValue >> UInt32(shift))
            if byte >= 100 { text.append(UInt8(ascii: "0") + byte / 100) }
            if byte >= 10 { text.append(UInt8(ascii: "0") + byte / 10 % 10) }
            text.append(UInt8(ascii: "0") + byte % 10)
        }
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self = try IPv4Address(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 network: an address and a mask, such as `10.200.1.0/24`.
///
/// The mask need not be contiguous (iptables accepts `10.0.0.0/255.0.255.0`), but the address never
/// has bits outside it.
public struct IPv4Network: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The network's address, host bits cleared.
    public private(set) var address: IPv4Address
    /// The mask, in host byte order; not always contiguous (iptables takes any mask).
    public private(set) var mask: UInt32

    /// `0.0.0.0/0`, which every address is in.
    public static let any = IPv4Network(masking: IPv4Address(rawValue: 0), mask: 0)

    /// The network of `address` under `mask`, clearing any host bits.
    public init(masking address: IPv4Address, mask: UInt32) {
        self.address = IPv4Address(rawValue: address.rawValue & mask)
        self.mask = mask
    }

    /// The network of `address` with a prefix length from 0 to 32, clearing any host bits.
    public init(masking address: IPv4Address, prefixLength: Int) {
        self.init(masking: address, mask: IPv4Network.mask(prefixLength: prefixLength))
    }

    /// A single host: `address/32`.
    public init(host address: IPv4Address) {
        self.init(masking: address, mask: .max)
    }

    /// Parses `ADDRESS`, `ADDRESS/LENGTH` or `ADDRESS/DOTTED-MASK`.
    ///
    /// With `strict` (the default) an address with host bits set is an error that suggests the
    /// network; without it the host bits are cleared, as iptables does with `-s`.
    public init(_ text: String, strict: Bool = true) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPv4Address(parsing: parts[0]) else {
            throw ModelError(
                .invalidNetwork, input: text,
                "\(ModelError.quote(text)) is not an IPv4 network: write an address and a prefix length, such as 10.200.1.0/24.")
        }
        var mask = UInt32.max
        if parts.count == 2 {
            let maskText = parts[1]
            if let length = Int(maskText), maskText.allSatisfy(\.isASCII), (0...32).contains(length) {
                mask = IPv4Network.mask(prefixLength: length)
            } else if let dotted = IPv4Address(parsing: maskText) {
                mask = dotted.rawValue
            } else {
                throw ModelError(
                    .invalidNetwork, input: text,
                    "\(ModelError.quote(text)) has an invalid mask '\(maskText)': write a prefix length from 0 to 32 or a dotted mask such as 255.255.255.0.")
            }
        }
        let network = IPv4Network(masking: address, mask: mask)
        if strict && network.address != address {
            throw ModelError(
                .invalidNetwork, input: text,
                "\(ModelError.quote(text)) has host bits set: did you mean \(network)?")
        }
        self = network
    }

    /// The prefix length when the mask is contiguous, such as 24 for 255.255.255.0; nil otherwise.
    public var prefixLength: Int? {
        let length = mask.nonzeroBitCount
        return IPv4Network.mask(prefixLength: length) == mask ? length : nil
    }

    /// Whether `address` lies in this network.
    public func contains(_ address: IPv4Address) -> Bool { address.rawValue & mask == self.address.rawValue }

    /// Whether the two networks share an address.
    public func overlaps(_ other: IPv4Network) -> Bool {
        let common = mask & other.mask
        return address.rawValue & common == other.address.rawValue & common
    }

    /// The text form iptables-save prints: `10.0.0.0/8`, `1.2.3.4/32`, or `10.0.0.0/255.0.255.0`.
    public var description: String {
        // Made from one byte buffer: status prints one network per gateway.
        var text: [UInt8] = []
        text.reserveCapacity(31)
        address.appendText(to: &text)
        text.append(UInt8(ascii: "/"))
        if let prefixLength {
            if prefixLength >= 10 { text.append(UInt8(ascii: "0") + UInt8(prefixLength / 10)) }
            text.append(UInt8(ascii: "0") + UInt8(prefixLength % 10))
        } else {
            IPv4Address(rawValue: mask).appendText(to: &text)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The mask of a prefix length from 0 to 32, in host byte order: 24 is `0xFFFFFF00`. Traps
    /// outside 0...32.
    public static func mask(prefixLength: Int) -> UInt32 {
        precondition((0...32).contains(prefixLength), "prefix length \(prefixLength) is outside 0...32")
        return prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength)
    }

    /// Orders by address, then wider networks first.
    public static func < (lhs: IPv4Network, rhs: IPv4Network) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.mask < rhs.mask
    }

    public init(from decoder: any Decoder) throws {
        self = try IPv4Network(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
