/// Builds one line of iptables-save text, word by word, each preceded by a space as iptables
/// prints them.
public struct SaveWriter: Sendable {
    /// The line so far.
    public private(set) var text: String = ""

    /// An empty line.
    public init() {}

    /// Appends `text` as it is, with no space before it: the parts of a line around its words.
    mutating func raw(_ text: String) {
        self.text += text
    }

    /// Makes room for `bytes` more bytes of text.
    mutating func reserve(_ bytes: Int) {
        text.reserveCapacity(text.utf8.count + bytes)
    }

    /// Appends ` word` as it is.
    public mutating func word(_ word: String) {
        text += " "
        text += word
    }

    /// Appends a word kept verbatim from input (an unknown extension's), bare when it reads back
    /// as the same single word and cannot be taken for a core option, otherwise quoted as
    /// `quoted(_:)` does.
    public mutating func verbatim(_ value: String) {
        let needsQuotes = value.isEmpty || value.utf8.contains { byte in
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\"")
        }
        word(needsQuotes || RuleParser.isCoreOption(value) ? SaveWriter.quote(value) : value)
    }

    /// Appends ` ! OPTION ARG…` (the `!` only when negated).
    public mutating func option(_ name: String, _ arguments: String..., negated: Bool = false) {
        if negated { word("!") }
        word(name)
        for argument in arguments { word(argument) }
    }

    /// Appends ` ! OPTION "STRING"` with the string quoted as `xtables_save_string` does.
    public mutating func option(_ name: String, quoting value: String, negated: Bool = false) {
        if negated { word("!") }
        word(name)
        quoted(value)
    }

    /// Appends a string the way libxtables' `xtables_save_string` prints it: bare when it is
    /// non-empty and made only of letters, digits, `_` and `-`; otherwise in double quotes with `"`,
    /// `\` and `'` escaped by a backslash.
    public mutating func quoted(_ value: String) {
        word(SaveWriter.quote(value))
    }

    /// The quoted form of `value`; see `quoted(_:)`.
    public static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        if plain { return value }
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII: one character a byte, escaped byte by byte.
            var bytes: [UInt8] = [UInt8(ascii: "\"")]
            bytes.reserveCapacity(value.utf8.count + 8)
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "'") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
            return String(decoding: bytes, as: UTF8.self)
        }
        var out = "\""
        for character in value {
            if character == "\"" || character == "\\" || character == "'" { out.append("\\") }
            out.append(character)
        }
        out.append("\"")
        return out
    }
}
