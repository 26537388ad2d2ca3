/// The number, port and name syntaxes iptables 1.8.9's match extensions accept, shared by the typed
/// matches so that each spells a value exactly as iptables does.
///
/// iptables reads numbers in two ways: most options go through `strtoul` with base 0 (`22`, `0x16`
/// and `026` are all 22), while the `xtables_option` port types (`udp`, `conntrack`) resolve ports
/// with `getaddrinfo`, which reads decimal only (`010` is 10). Service and host names are never
/// resolved by natgate: the model does not depend on this machine's `/etc/services`.
enum MatchValueSyntax {
    /// Parses an unsigned number as C's `strtoumax(text, &end, 0)` does when the whole text must be
    /// consumed: decimal, `0x` hexadecimal or `0` octal. Returns nil when out of `0...maximum`.
    static func cNumber(_ text: Substring, maximum: UInt64) -> UInt64? {
        XtablesNumber.unsigned(text, in: 0...maximum)
    }

    /// Parses a decimal number, as `getaddrinfo` reads a numeric service. Nil when out of range.
    static func decimal(_ text: Substring, maximum: UInt64) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        guard let value = UInt64(text), value <= maximum else { return nil }
        return value
    }

    /// A port as `xtables_parse_port` reads it (tcp, multiport): a C number from 0 to 65535.
    static func cPort(_ text: Substring, option: ParsedOption) throws -> UInt16 {
        guard let value = cNumber(text, maximum: 65535) else {
            throw option.invalid("\(ModelError.quote(text)) is not a port: write a number from 0 to 65535 (service names such as ssh are not resolved; write 22).")
        }
        return UInt16(value)
    }

    /// A port as `getaddrinfo` reads it (udp, conntrack): a decimal number from 0 to 65535.
    static func decimalPort(_ text: Substring, option: ParsedOption) throws -> UInt16 {
        guard let value = decimal(text, maximum: 65535) else {
            throw option.invalid("\(ModelError.quote(text)) is not a port: write a decimal number from 0 to 65535 (service names such as domain are not resolved; write 53).")
        }
        return UInt16(value)
    }

    /// The syntax of a `PORT[:PORT]` option.
    enum PortRangeStyle {
        /// tcp's own parser: C numbers, `:` alone allowed on either side.
        case tcp
        /// libxtables' `XTTYPE_PORTRC`: decimal numbers, at most two components, empty ones defaulted.
        case portRC
    }

    /// Parses `PORT`, `LOW:HIGH`, `:HIGH` (from 0) or `LOW:` (to 65535), as iptables does.
    /// A backwards range never matches a packet and is refused.
    static func portRange(_ option: ParsedOption, style: PortRangeStyle) throws -> PortRange {
        let text = option.argument
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw option.invalid("write one port or one range LOW:HIGH.")
        }
        func port(_ part: Substring) throws -> UInt16 {
            style == .tcp ? try cPort(part, option: option) : try decimalPort(part, option: option)
        }
        if parts.count == 1 {
            return PortRange(try port(parts[0]))
        }
        let lower = parts[0].isEmpty ? 0 : try port(parts[0])
        let upper = parts[1].isEmpty ? 65535 : try port(parts[1])
        guard lower <= upper else {
            throw option.invalid("the range is backwards and would never match: write the lower port first (\(upper):\(lower)).")
        }
        return try PortRange(lower: lower, upper: upper)
    }

    /// Whether `word` abbreviates `name` as iptables' `strncasecmp(word, name, strlen(word))` tests it:
    /// a non-empty, case-insensitive prefix.
    static func abbreviates(_ word: Substring, _ name: String) -> Bool {
        guard !word.isEmpty, word.utf8.count <= name.utf8.count else { return false }
        return zip(word.utf8, name.utf8).allSatisfy { lowercase($0) == lowercase($1) }
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Parses a comma-separated list of names into a bit set, each word taking the first name in
    /// `names` it abbreviates (iptables' order decides abbreviations such as `N` for `NEW`).
    static func nameList<Set: OptionSet>(
        _ option: ParsedOption, names: [(String, Set)], what: String
    ) throws -> Set where Set.RawValue: FixedWidthInteger, Set.Element == Set {
        var result = Set()
        for word in option.argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let entry = names.first(where: { abbreviates(word, $0.0) }) else {
                let valid = names.map(\.0).joined(separator: ", ")
                throw option.invalid(word.isEmpty
                    ? "the list has an empty \(what): write names separated by commas, without spaces (\(valid))."
                    : "'\(word)' is not a \(what): use \(valid).")
            }
            result.formUnion(entry.1)
        }
        return result
    }

    /// The names of the bits in `set`, in `names`' order, joined by commas, skipping entries whose
    /// value is empty.
    static func names<Set: OptionSet>(of set: Set, in names: [(String, Set)]) -> String where Set.Element == Set {
        names.filter { !$0.1.isEmpty && set.isSuperset(of: $0.1) }.map(\.0).joined(separator: ",")
    }

    /// tcp, udp, udplite, sctp and dccp (33): the protocols with ports that `multiport` accepts.
    static let portProtocols: Set<IPProtocol> = [.tcp, .udp, .udplite, .sctp, IPProtocol(number: 33)]

    /// Refuses a second occurrence of an option, as libxtables does ("can only be used once").
    static func once<T>(_ current: T?, _ option: ParsedOption) throws {
        if current != nil {
            throw ModelError(.notAllowed, input: option.name, "\(option.name) is given twice: give it once.", at: option.location)
        }
    }
}
