// `-s` and `-d` as iptables reads them.
//
// iptables does not read dotted quads as most tools do: libxtables parses each number with
// `strtoul(…, 0)`, so `010` is octal (8) and `0x10` hexadecimal (16), and it fills missing parts
// with zeros (`10.1` is 10.1.0.0). It reads at most the first 19 characters of an address. A
// prefix length is read the same way (`/010` is /8, `/0x18` is /24), and a zero mask makes the
// address irrelevant (`anything/0` is 0.0.0.0/0). ip6tables reads IPv6 addresses with
// `inet_pton` but its prefix lengths with `strtoul(…, 0)` too. Text read here therefore means what
// it means to iptables-legacy-restore, byte for byte (SaveTextOracleTests compare the two).

extension IPNetwork {
    /// Parses one address or network of an `-s`/`-d` argument as iptables does, clearing host bits.
    ///
    /// - Throws: `ModelError` (`.invalidNetwork`) when iptables would refuse the text too (host
    ///   names are not resolved).
    public init(iptablesText text: String, family: Family) throws {
        if family == .ipv4, text.utf8.contains(UInt8(ascii: ":")) {
            _ = try IPNetwork(text, family: family, strict: false)  // says it is IPv6 where IPv4 is needed
        }
        // In ASCII text every byte is a character: the '/' is found without grapheme breaking.
        let slash = text.utf8.allSatisfy({ $0 < 0x80 }) ? text.utf8.lastIndex(of: UInt8(ascii: "/")) : text.lastIndex(of: "/")
        let addressText = slash.map { text[..<$0] } ?? Substring(text)
        let maskText = slash.map { text[text.index(after: $0)...] }
        switch family {
        case .ipv4:
            var mask = UInt32.max
            if let maskText {
                if let dotted = IPv4Address.xtablesNumeric(maskText, isMask: true) {
                    mask = dotted.rawValue
                } else if let length = xtablesUnsigned(maskText.utf8, maximum: 32) {
                    mask = IPv4Network.mask(prefixLength: Int(length))
                } else {
                    throw ModelError(
                        .invalidNetwork, input: text,
                        "\(ModelError.quote(text)) has an invalid mask \(ModelError.quote(maskText)): write a prefix length from 0 to 32 or a dotted mask such as 255.255.255.0.")
                }
            }
            if mask == 0 {
                self = .v4(.any)
                return
            }
            guard let address = IPv4Address.xtablesNumeric(addressText, isMask: false) else {
                // The strict parser words the error (and says host names are not resolved).
                _ = try IPNetwork(text, family: family, strict: false)
                throw ModelError(
                    .invalidNetwork, input: text,
                    "\(ModelError.quote(text)) is not an IPv4 address iptables reads: write four numbers from 0 to 255 separated by dots, such as 192.0.2.1.")
            }
            self = .v4(IPv4Network(masking: address, mask: mask))
        case .ipv6:
            var mask = IPv6Network.mask(prefixLength: 128)
            if let maskText {
                if maskText.contains(":"), let full = IPv6Address(parsing: maskText) {
                    mask = full
                } else if let length = xtablesUnsigned(maskText.utf8, maximum: 128) {
                    mask = IPv6Network.mask(prefixLength: Int(length))
                } else {
                    throw ModelError(
                        .invalidNetwork, input: text,
                        "\(ModelError.quote(text)) has an invalid mask \(ModelError.quote(maskText)): write a prefix length from 0 to 128.")
                }
            }
            if mask.high == 0 && mask.low == 0 {
                self = .v6(.any)
                return
            }
            guard let address = IPv6Address(parsing: addressText) else {
                _ = try IPNetwork(text, family: family, strict: false)
                throw ModelError(.invalidNetwork, input: text, "\(ModelError.quote(text)) is not an IPv6 address: write one such as 2001:db8::1.")
            }
            self = .v6(IPv6Network(masking: address, mask: mask))
        }
    }
}

extension IPv4Address {
    /// libxtables' numeric address parser: up to four numbers read with `strtoul(…, 0)`, each at
    /// most 255, missing trailing parts zero (a mask needs all four); only the first 19 bytes count.
    static func xtablesNumeric(_ text: Substring, isMask: Bool) -> IPv4Address? {
        // Walked in place (no arrays): this runs for every address of every rule read.
        let bytes = text.utf8.prefix(19)
        var value: UInt32 = 0
        var parts = 0
        var start = bytes.startIndex
        while true {
            // At most four parts: the fourth takes the rest, dots included (and then fails).
            let end = parts == 3 ? bytes.endIndex : bytes[start...].firstIndex(of: UInt8(ascii: ".")) ?? bytes.endIndex
            guard let number = xtablesUnsigned(bytes[start..<end], maximum: 255) else { return nil }
            value = value << 8 | number
            parts += 1
            guard end < bytes.endIndex else { break }
            start = bytes.index(after: end)
        }
        if parts < 4 {
            if isMask { return nil }
            // Missing trailing parts are zero.
            value <<= 8 * UInt32(4 - parts)
        }
        return IPv4Address(rawValue: value)
    }
}

/// `xtables_strtoui(text, NULL, &value, 0, maximum)`: the whole text one number in C's base 0
/// (`0x…` hexadecimal, `0…` octal, else decimal) after optional white space and `+`, at most
/// `maximum`.
func xtablesUnsigned<Bytes: Collection<UInt8>>(_ text: Bytes, maximum: UInt32) -> UInt32? {
    var rest = text[...]
    while let first = rest.first, first == 0x20 || (0x09...0x0D).contains(first) { rest = rest.dropFirst() }
    if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
    var radix: UInt32 = 10
    if rest.first == UInt8(ascii: "0") {
        let afterZero = rest.dropFirst()
        if let x = afterZero.first, x | 0x20 == UInt8(ascii: "x"), let digit = afterZero.dropFirst().first, hexValue(digit) != nil {
            radix = 16
            rest = afterZero.dropFirst()
        } else {
            radix = 8
        }
    }
    guard !rest.isEmpty else { return nil }
    var value: UInt32 = 0
    for byte in rest {
        guard let digit = hexValue(byte), digit < radix else { return nil }
        value = value * radix + digit
        if value > maximum { return nil }
    }
    return value
}

private func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}
