/// An IPv6 address, such as `fd00:200:1::1`.
public struct IPv6Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The high 64 bits (the first four groups), in host byte order.
    public var high: UInt64
    /// The low 64 bits (the last four groups), in host byte order.
    public var low: UInt64

    /// The address of these 128 bits, high half first.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address from its 16 bytes in network order.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
        self.init(high: high, low: low)
    }

    /// Parses RFC 4291 text (`2001:db8::1`, `::ffff:192.0.2.1`); anything else is an error.
    public init(_ text: String) throws {
        guard let value = IPv6Address(parsing: Substring(text)) else {
            throw ModelError(
                .invalidAddress, input: text,
                "\(ModelError.quote(text)) is not an IPv6 address: write eight groups of hex digits separated by colons, '::' for one run of zero groups, such as 2001:db8::1.")
        }
        self = value
    }

    /// Parses RFC 4291 text, returning nil when `text` is not an IPv6 address.
    public init?(parsing text: Substring) {
        if text.isEmpty || text.utf8.count > 45 { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var index = 0
        // "::" at the very start or end yields two empty pieces.
        if pieces.count < 3 { return nil }
        if pieces.first!.isEmpty {
            guard pieces[1].isEmpty else { return nil }
            index = 1
        }
        var last = pieces.count
        if pieces.last!.isEmpty {
            guard pieces[pieces.count - 2].isEmpty else { return nil }
            last -= 1
        }
        while index < last {
            let piece = pieces[index]
            if piece.isEmpty {
                if sawGap { return nil }
                sawGap = true
            } else if index == last - 1, piece.contains("."), let v4 = IPv4Address(parsing: piece) {
                let groups = [UInt16(v4.rawValue >> 16), UInt16(truncatingIfNeeded: v4.rawValue)]
                if sawGap { tail += groups } else { head += groups }
            } else {
                guard piece.utf8.count <= 4, let group = UInt16(piece, radix: 16) else { return nil }
                if sawGap { tail.append(group) } else { head.append(group) }
            }
            index += 1
        }
        let total = head.count + tail.count
        if sawGap ? total > 7 : total != 8 { return nil }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        self.init(high: high, low: low)
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
    }

    /// The text form glibc's `inet_ntop` prints, which is what ip6tables-save shows: the longest run
    /// of two or more zero groups (the first of equals) becomes `::`, and the IPv4-compatible and
    /// IPv4-mapped forms end in dotted quad.
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(39)
        appendText(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description`'s UTF-8 bytes to `text`, without making a string (natgate writes
    /// thousands of addresses into rule comments this way).
    public func appendText(to text: inout [UInt8]) {
        func group(_ i: Int) -> UInt16 {
            i < 4 ? UInt16(truncatingIfNeeded: high >> (48 - 16 * i)) : UInt16(truncatingIfNeeded: low >> (48 - 16 * (i - 4)))
        }
        var bestBase = -1, bestLength = 0, currentBase = -1, currentLength = 0
        for i in 0..<8 {
            if group(i) == 0 {
                if currentBase == -1 { currentBase = i; currentLength = 1 } else { currentLength += 1 }
            } else if currentBase != -1 {
                if bestBase == -1 || currentLength > bestLength { bestBase = currentBase; bestLength = currentLength }
                currentBase = -1
            }
        }
        if currentBase != -1, bestBase == -1 || currentLength > bestLength {
            bestBase = currentBase; bestLength = currentLength
        }
        if bestBase != -1, bestLength < 2 { bestBase = -1 }
        var i = 0
        while i < 8 {
            if bestBase != -1, i >= bestBase, i < bestBase + bestLength {
                if i == bestBase { text.append(UInt8(ascii: ":")) }
                i += 1
                continue
            }
            if i != 0 { text.append(UInt8(ascii: ":")) }
            if i == 6, bestBase == 0, bestLength == 6 || (bestLength == 5 && group(5) == 0xFFFF) {
                IPv4Address(rawValue: UInt32(truncatingIfNeeded: low)).appendText(to: &text)
                return
            }
            // Lowercase hex without leading zeros.
            let value = group(i)
            var shift: UInt16 = 12
            while shift > 0, value >> shift == 0 { shift -= 4 }
            while true {
                let digit = UInt8(truncatingIfNeeded: value >> shift) & 0xF
                text.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
                if shift == 0 { break }
                shift -= 4
            }
            i += 1
        }
        if bestBase != -1, bestBase + bestLength == 8 { text.append(UInt8(ascii: ":")) }
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    public init(from decoder: any Decoder) throws {
        self = try IPv6Address(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv6 network: an address and a mask, such as `fd00:200:1::/64`.
public struct IPv6Network: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The network's address, host bits cleared.
    public private(set) var address: IPv6Address
    /// The mask; not always contiguous (ip6tables takes any mask).
    public private(set) var mask: IPv6Address

    /// `::/0`, which every address is in.
    public static let any = IPv6Network(masking: IPv6Address(high: 0, low: 0), mask: IPv6Address(high: 0, low: 0))

    /// The network of `address` under `mask`: host bits are cleared.
    public init(masking address: IPv6Address, mask: IPv6Address) {
        self.address = IPv6Address(high: address.high & mask.high, low: address.low & mask.low)
        self.mask = mask
    }

    /// The network of `address` with a prefix length from 0 to 128: host bits are cleared.
    public init(masking address: IPv6Address, prefixLength: Int) {
        self.init(masking: address, mask: IPv6Network.mask(prefixLength: prefixLength))
    }

    /// A single host: `address/128`.
    public init(host address: IPv6Address) {
        self.init(masking: address, mask: IPv6Address(high: .max, low: .max))
    }

    /// Parses `ADDRESS`, `ADDRESS/LENGTH` or `ADDRESS/MASK`.
    ///
    /// With `strict` (the default) an address with host bits set is an error that suggests the
    /// network; without it the host bits are cleared, as ip6tables does with `-s`.
    public init(_ text: String, strict: Bool = true) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPv6Address(parsing: parts[0]) else {
            throw ModelError(
                .invalidNetwork, input: text,
                "\(ModelError.quote(text)) is not an IPv6 network: write an address and a prefix length, such as fd00:200:1::/64.")
        }
        var mask = IPv6Address(high: .max, low: .max)
        if parts.count == 2 {
            let maskText = parts[1]
            if let length = Int(maskText), maskText.allSatisfy(\.isASCII), (0...128).contains(length) {
                mask = IPv6Network.mask(prefixLength: length)
            } else if let full = IPv6Address(parsing: maskText) {
                mask = full
            } else {
                throw ModelError(
                    .invalidNetwork, input: text,
                    "\(ModelError.quote(text)) has an invalid mask '\(maskText)': write a prefix length from 0 to 128.")
            }
        }
        let network = IPv6Network(masking: address, mask: mask)
        if strict && network.address != address {
            throw ModelError(.invalidNetwork, input: text, "\(ModelError.quote(text)) has host bits set: did you mean \(network)?")
        }
        self = network
    }

    /// The prefix length when the mask is contiguous; nil otherwise.
    public var prefixLength: Int? {
        let length = mask.high.nonzeroBitCount + mask.low.nonzeroBitCount
        return IPv6Network.mask(prefixLength: length) == mask ? length : nil
    }

    /// Whether `address` is in the network.
    public func contains(_ address: IPv6Address) -> Bool {
        address.high & mask.high == self.address.high && address.low & mask.low == self.address.low
    }

    /// Whether an address is in both networks.
    public func overlaps(_ other: IPv6Network) -> Bool {
        let high = mask.high & other.mask.high
        let low = mask.low & other.mask.low
        return address.high & high == other.address.high & high && address.low & low == other.address.low & low
    }

    /// The text form ip6tables-save prints: `fd00::/64`, `::1/128`, or the mask in full when it is not contiguous.
    public var description: String {
        if let prefixLength { return "\(address)/\(prefixLength)" }
        return "\(address)/\(mask)"
    }

    /// The mask of a prefix length from 0 to 128. Traps outside 0...128.
    public static func mask(prefixLength: Int) -> IPv6Address {
        precondition((0...128).contains(prefixLength), "prefix length \(prefixLength) is outside 0...128")
        let high: UInt64 = prefixLength == 0 ? 0 : prefixLength >= 64 ? .max : UInt64.max << (64 - prefixLength)
        let low: UInt64 = prefixLength <= 64 ? 0 : prefixLength == 128 ? .max : UInt64.max << (128 - prefixLength)
        return IPv6Address(high: high, low: low)
    }

    public static func < (lhs: IPv6Network, rhs: IPv6Network) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.mask < rhs.mask
    }

    public init(from decoder: any Decoder) throws {
        self = try IPv6Network(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 or IPv6 network.
public enum IPNetwork: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// An IPv4 network.
    case v4(IPv4Network)
    /// An IPv6 network.
    case v6(IPv6Network)

    /// The network's family.
    public var family: Family {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// Parses an IPv4 or IPv6 network; see `IPv4Network.init(_:strict:)`.
    public init(_ text: String, strict: Bool = true) throws {
        if text.contains(":") {
            self = .v6(try IPv6Network(text, strict: strict))
        } else {
            self = .v4(try IPv4Network(text, strict: strict))
        }
    }

    /// Parses a network of the given family, with an error that names the family when it is the other one.
    public init(_ text: String, family: Family, strict: Bool = true) throws {
        let network = try IPNetwork(text, strict: strict)
        guard network.family == family else {
            throw ModelError(
                .invalidNetwork, input: text,
                "\(ModelError.quote(text)) is an \(network.family == .ipv4 ? "IPv4" : "IPv6") network where an \(family == .ipv4 ? "IPv4" : "IPv6") one is needed.")
        }
        self = network
    }

    /// Whether this network is all addresses (`0.0.0.0/0` or `::/0`).
    public var isAny: Bool {
        switch self {
        case .v4(let n): n.mask == 0
        case .v6(let n): n.mask.high == 0 && n.mask.low == 0
        }
    }

    /// Whether an address is in both networks; networks of different families never overlap.
    public func overlaps(_ other: IPNetwork) -> Bool {
        switch (self, other) {
        case (.v4(let a), .v4(let b)): a.overlaps(b)
        case (.v6(let a), .v6(let b)): a.overlaps(b)
        default: false
        }
    }

    public var description: String {
        switch self {
        case .v4(let n): n.description
        case .v6(let n): n.description
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try IPNetwork(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// An IPv4 address.
    case v4(IPv4Address)
    /// An IPv6 address.
    case v6(IPv6Address)

    /// The address's family.
    public var family: Family {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// An address: IPv6 when the text has a colon, else IPv4.
    ///
    /// - Throws: `ModelError` (`.invalidAddress`) naming the text.
    public init(_ text: String) throws {
        self = text.contains(":") ? .v6(try IPv6Address(text)) : .v4(try IPv4Address(text))
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try IPAddress(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
