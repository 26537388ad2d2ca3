import NatgateModel

// How the gateway verbs (enable, disable, plan) and policy files read subnets and addresses.
//
// Stricter than the model's parsers and than iptables, because a gateway's subnet is written by a
// person and is easy to get subtly wrong:
// - a prefix length is required: `10.200.1.0` alone is refused with a suggestion
//   (`did you mean 10.200.1.0/24?`) instead of becoming the single host 10.200.1.0/32;
// - an IPv4 number with a leading zero is refused: iptables reads `010` as octal 8, most other
//   tools as decimal 10, so the text means two different subnets;
// - an IPv4-mapped IPv6 subnet (`::ffff:10.200.1.0/120`) is refused by `Gateway.init`: IPv4
//   packets never carry such addresses, so its rules would match nothing.

extension Gateway {
    /// A gateway subnet as `natgate enable` and policy files take it: `ADDRESS/LENGTH` (or a dotted
    /// mask), no host bits, IPv4 numbers without leading zeros.
    ///
    /// - Throws: `ModelError` (`.invalidNetwork`) naming the text and suggesting what was meant.
    public static func subnet(_ text: String) throws -> IPNetwork {
        try network(text, what: "subnet")
    }

    /// A network to exclude from NAT, read as `subnet(_:)` reads a subnet.
    public static func excludedNetwork(_ text: String) throws -> IPNetwork {
        try network(text, what: "excluded network")
    }

    /// An SNAT address: an IPv4 address without leading zeros, or an IPv6 address.
    ///
    /// - Throws: `ModelError` (`.invalidAddress`) naming the text.
    public static func address(_ text: String) throws -> IPAddress {
        if !text.contains(":"), let zero = leadingZeroNumber(Substring(text)) {
            throw ModelError(
                .invalidAddress, input: text,
                "Address \(ModelError.quote(text)) has a number with a leading zero (\(zero)): iptables reads it as octal, other tools as decimal. Write it without leading zeros, such as \(withoutLeadingZeros(Substring(text))).")
        }
        return try IPAddress(text)
    }

    private static func network(_ text: String, what: String) throws -> IPNetwork {
        let quoted = ModelError.quote(text)
        guard let slash = text.firstIndex(of: "/") else {
            // A bare address: suggest the network its trailing zeros suggest, else a single host.
            if let address = try? IPAddress(text) {
                throw ModelError(
                    .invalidNetwork, input: text,
                    "The \(what) \(quoted) has no prefix length: did you mean \(suggestedNetwork(address))? Write ADDRESS/LENGTH (/\(address.family == .ipv4 ? 32 : 128) for a single host).")
            }
            return try IPNetwork(text)  // not an address either: the model's error says why
        }
        do {
            let v4 = !text.contains(":")
            if let zero = (v4 ? leadingZeroNumber(text[..<slash]) : nil) ?? leadingZeroNumber(text[text.index(after: slash)...]) {
                throw ModelError(
                    .invalidNetwork, input: text,
                    "The \(what) \(quoted) has a number with a leading zero (\(zero)): iptables reads it as octal, other tools as decimal. Write it without leading zeros, such as \(withoutLeadingZeros(Substring(text))).")
            }
        }
        return try IPNetwork(text)
    }

    /// The first dot- or slash-separated decimal number in `text` that starts with a zero and has
    /// more digits after it (`010`), or nil.
    /// (iptables and ip6tables read prefix lengths and IPv4 numbers with `strtoul(…, 0)`.)
    static func leadingZeroNumber(_ text: Substring) -> Substring? {
        for part in text.split(separator: ".", omittingEmptySubsequences: true)
        where part.count > 1 && part.first == "0" && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) {
            return part
        }
        return nil
    }

    /// `text` with each number's leading zeros removed: `010.001.1.0/024` is `10.1.1.0/24`.
    private static func withoutLeadingZeros(_ text: Substring) -> String {
        var out = ""
        var atNumberStart = true
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            if atNumberStart, character == "0", index + 1 < characters.count, characters[index + 1].isNumber {
                continue
            }
            out.append(character)
            atNumberStart = !character.isNumber
        }
        return out
    }

    /// `10.200.1.0` → `10.200.1.0/24`: the address with a prefix length that covers its trailing
    /// zero bytes (IPv4) or groups (IPv6), or a host prefix when it has none.
    private static func suggestedNetwork(_ address: IPAddress) -> String {
        switch address {
        case .v4(let v4):
            var length = 32
            while length > 8, v4.rawValue & ~IPv4Network.mask(prefixLength: length - 8) == 0 { length -= 8 }
            return "\(v4)/\(length)"
        case .v6(let v6):
            var length = 128
            while length > 16 {
                let mask = IPv6Network.mask(prefixLength: length - 16)
                guard v6.high & ~mask.high == 0, v6.low & ~mask.low == 0 else { break }
                length -= 16
            }
            return "\(v6)/\(length)"
        }
    }
}

extension IPNetwork {
    /// Whether this is an IPv6 network inside `::ffff:0:0/96`, the IPv4-mapped addresses.
    var isIPv4Mapped: Bool {
        guard case .v6(let network) = self, let length = network.prefixLength, length >= 96 else { return false }
        return network.address.high == 0 && network.address.low >> 32 == 0xFFFF
    }
}
