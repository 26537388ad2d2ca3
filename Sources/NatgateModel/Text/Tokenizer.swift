/// One word of an iptables-restore line, after quotes and escapes are removed.
struct SaveToken: Hashable, Sendable {
    /// The word's text, unquoted.
    var text: String
    /// Whether any part of the word stood in double quotes; a quoted word is never an option.
    var quoted: Bool
    /// Where the word starts.
    var location: SourceLocation

    /// Whether the word can be an option or the `!` negation: it starts with `-`, or is `!`, and
    /// was not quoted.
    var isOptionLike: Bool { !quoted && text.utf8.first == UInt8(ascii: "-") && text.utf8.count > 1 }
    var isBang: Bool { !quoted && text == "!" }
}

/// Splits lines into words exactly as iptables-restore's `add_param_to_argv` does.
///
/// - Words are separated by spaces, tabs and newlines.
/// - A `"` opens a quoted part anywhere in a word; inside it, `\` makes the next character literal
///   and a second `"` closes the quote *and ends the word* (`"a b"c` is two words, `a b` and `c`).
///   `""` is an empty word.
/// - Outside quotes, `\` and `'` are ordinary characters.
///
/// iptables-restore silently accepts a quote that is never closed; natgate refuses it, since it is
/// almost always a mistake.
enum SaveTokenizer {
    static func tokenize(_ bytes: ArraySlice<UInt8>, line: Int, firstColumn: Int = 1) throws -> [SaveToken] {
        var tokens: [SaveToken] = []
        tokens.reserveCapacity(24)
        var buffer: [UInt8] = []
        // Where the current word's bytes start in `bytes` while it has no quote: such a word (most
        // are) is made from its slice directly, without going through `buffer`.
        var plainStart: Int?
        var inWord = false
        var quoted = false
        var quoteOpen = false
        var escaped = false
        var start = firstColumn
        var quoteColumn = firstColumn
        var column = firstColumn - 1

        func finish(at end: Int) {
            let text: String
            if let from = plainStart {
                text = String(decoding: bytes[from..<end], as: UTF8.self)
            } else {
                text = String(decoding: buffer, as: UTF8.self)
                buffer.removeAll(keepingCapacity: true)
            }
            tokens.append(SaveToken(text: text, quoted: quoted, location: SourceLocation(line: line, column: start)))
            plainStart = nil
            inWord = false
            quoted = false
        }

        for position in bytes.indices {
            let byte = bytes[position]
            column += 1
            if quoteOpen {
                if escaped {
                    buffer.append(byte)
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    quoteOpen = false
                    finish(at: position)
                } else {
                    buffer.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                if !inWord {
                    inWord = true
                    start = column
                } else if let from = plainStart {
                    // The word so far was plain: its bytes go to the buffer, the quote follows.
                    buffer.append(contentsOf: bytes[from..<position])
                }
                plainStart = nil
                quoteOpen = true
                quoted = true
                quoteColumn = column
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                if inWord { finish(at: position) }
            default:
                if !inWord {
                    inWord = true
                    start = column
                    plainStart = position
                } else if plainStart == nil {
                    buffer.append(byte)
                }
            }
        }
        if quoteOpen {
            throw ModelError(
                .syntax, input: String(decoding: bytes, as: UTF8.self),
                "this quote is never closed: end the quoted word with \" (write \\\" for a quote inside it)",
                at: SourceLocation(line: line, column: quoteColumn))
        }
        if inWord { finish(at: bytes.endIndex) }
        return tokens
    }

    static func tokenize(_ text: String, line: Int = 1) throws -> [SaveToken] {
        try tokenize(ArraySlice(text.utf8), line: line)
    }
}
