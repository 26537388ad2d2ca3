import NatgateLab
import Testing
@testable import NatgateModel

/// The parser's fast paths (issue #10) pinned to the code they replaced: each reference below is
/// the earlier implementation, kept here verbatim in substance, and both must agree on every
/// generated input, accepted or refused.
@Suite struct FastPathTests {
    /// Bytes that make the corners likely: the characters each check refuses, white space and
    /// control bytes, non-ASCII, and ordinary name characters.
    static let alphabet: [String] = [
        "a", "Z", "0", "9", "-", "_", ".", "+", "/", ":", "\"", "'", "\\", "!", " ", "\t", "\n", "\r", "\r\n",
        "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "\u{85}", "\u{A0}", "é", "e\u{301}", "\u{200B}", "\u{2028}", "→", "=", ",", "x",
    ]

    /// Characters every check accepts, most of what real names are made of.
    static let plain: [String] = ["a", "Z", "0", "9", "-", "_", "e", "t", "h", "1"]

    /// Mostly plain characters, one in five from `alphabet`, so that names are accepted and
    /// refused for every reason.
    static func randomText(_ random: inout SeededRandom, maximum: Int) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 0...maximum, using: &random) {
            text += Int.random(in: 0..<5, using: &random) == 0 ? random.pick(alphabet) : random.pick(plain)
        }
        return text
    }

    // MARK: Names

    /// `InterfaceName.init` before its fast path: whether it accepted `text`.
    static func referenceAcceptsInterface(_ text: String) -> Bool {
        let bytes = text.utf8.count
        guard bytes > 0 else { return false }
        if text.unicodeScalars.contains(where: \.isInvisible) { return false }
        guard bytes <= 15 else { return false }
        if text.contains(where: { $0.isWhitespace || $0 == "/" || $0 == ":" || $0 == "\"" || $0 == "'" }) { return false }
        if text == "." || text == ".." { return false }
        if let plus = text.firstIndex(of: "+"), plus != text.index(before: text.endIndex) { return false }
        return true
    }

    /// `ChainName.init` before its fast path: whether it accepted `text`.
    static func referenceAcceptsChain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= ChainName.maximumLength else { return false }
        if text.contains(where: { $0.isWhitespace || !$0.isASCII || $0 == "\"" || $0 == "'" }) { return false }
        return !(text.hasPrefix("-") || text.hasPrefix("!"))
    }

    @Test func interfaceAndChainNamesAcceptWhatTheFullChecksAccept() {
        var random = SeededRandom(seed: 10)
        var accepted = (interfaces: 0, chains: 0)
        for _ in 0..<5_000 {
            let text = Self.randomText(&random, maximum: 18)
            let interface = (try? InterfaceName(text))?.rawValue
            #expect((interface != nil) == Self.referenceAcceptsInterface(text), "InterfaceName(\(text.debugDescription))")
            if let interface { #expect(interface == text) }
            let chain = (try? ChainName(text))?.rawValue
            #expect((chain != nil) == Self.referenceAcceptsChain(text), "ChainName(\(text.debugDescription))")
            if chain != nil { accepted.chains += 1 }
            if interface != nil { accepted.interfaces += 1 }
        }
        // Both outcomes were exercised.
        #expect(accepted.interfaces > 500 && accepted.interfaces < 4_500)
        #expect(accepted.chains > 500 && accepted.chains < 4_500)
        for text in [".", "..", "...", "+", "a+", "+a", "eth0", "veth+", String(repeating: "a", count: 15), String(repeating: "a", count: 16)] {
            #expect(((try? InterfaceName(text)) != nil) == Self.referenceAcceptsInterface(text), "InterfaceName(\(text.debugDescription))")
        }
    }

    // MARK: Addresses

    /// `IPv4Address.xtablesNumeric` before it walked the bytes in place.
    static func referenceNumeric(_ text: Substring, isMask: Bool) -> IPv4Address? {
        let bytes = Array(text.utf8.prefix(19))
        var parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        if parts.count < 4 {
            if isMask { return nil }
            parts += Array(repeating: [UInt8(ascii: "0")], count: 4 - parts.count)
        }
        var value: UInt32 = 0
        for part in parts {
            guard let number = xtablesUnsigned(part, maximum: 255) else { return nil }
            value = value << 8 | number
        }
        return IPv4Address(rawValue: value)
    }

    @Test func numericAddressesReadAsBefore() {
        let pieces = ["0", "1", "10", "255", "256", "010", "0x1f", "0X", "08", ".", ".", ".", "+", " ", "a", "19", "999"]
        var random = SeededRandom(seed: 11)
        var parsed = 0
        for _ in 0..<5_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...9, using: &random) { text += random.pick(pieces) }
            for isMask in [false, true] {
                let new = IPv4Address.xtablesNumeric(Substring(text), isMask: isMask)
                #expect(new == Self.referenceNumeric(Substring(text), isMask: isMask), "\(text.debugDescription) mask: \(isMask)")
                if new != nil { parsed += 1 }
            }
        }
        #expect(parsed > 300)
    }

    // MARK: Equality

    @Test func extensionsCompareAsTheirAnyHashables() throws {
        let lines = [
            "-m comment --comment a -j ACCEPT", "-m comment --comment b -j ACCEPT", "-m comment --comment a -j DROP",
            "-m conntrack --ctstate RELATED,ESTABLISHED -j LOG --log-prefix a", "-m conntrack ! --ctstate DNAT -j LOG --log-prefix b",
            "-m conntrack --ctstate ESTABLISHED,RELATED -j LOG", "-m conntrack --ctstate NEW -j LOG --log-prefix x",
            "-p tcp -m tcp --dport 22 -j REJECT", "-p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset",
            "-p udp -m udp --dport 22 -j ACCEPT", "-m mac --mac-source 00:11:22:33:44:55 -j ACCEPT",
            "-m foo --bar 1 -j BAZ", "-m foo --bar 2 -j BAZ --x", "-m limit --limit 5/min -j ACCEPT", "-m limit --limit 6/min -j ACCEPT",
        ]
        let rules = try lines.map { try Rule(saveArguments: $0, family: .ipv4, table: .filter, chain: .forward) }
        let matches = rules.flatMap(\.matches)
        let targets = rules.compactMap { rule -> Target? in if case .extension(let target)? = rule.target { target } else { nil } }
        var equalPairs = 0
        for a in matches {
            for b in matches {
                #expect((a == b) == (AnyHashable(a.base) == AnyHashable(b.base)), "\(a) vs \(b)")
                if a == b { equalPairs += 1 }
            }
        }
        for a in targets {
            for b in targets {
                #expect((a == b) == (AnyHashable(a.base) == AnyHashable(b.base)), "\(a) vs \(b)")
            }
        }
        // Each with itself, the two comments "a", and the two conntrack ESTABLISHED,RELATED orders.
        #expect(equalPairs > matches.count)
    }

    // MARK: Words

    /// `SaveTokenizer.tokenize` before plain words were sliced: every byte through a buffer.
    static func referenceTokens(_ bytes: ArraySlice<UInt8>, line: Int, firstColumn: Int) throws -> [SaveToken] {
        var tokens: [SaveToken] = []
        var buffer: [UInt8] = []
        var inWord = false, quoted = false, quoteOpen = false, escaped = false
        var start = firstColumn, quoteColumn = firstColumn, column = firstColumn - 1
        func finish() {
            tokens.append(SaveToken(text: String(decoding: buffer, as: UTF8.self), quoted: quoted, location: SourceLocation(line: line, column: start)))
            buffer.removeAll(keepingCapacity: true)
            inWord = false
            quoted = false
        }
        for byte in bytes {
            column += 1
            if quoteOpen {
                if escaped {
                    buffer.append(byte)
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    quoteOpen = false
                    finish()
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
                }
                quoteOpen = true
                quoted = true
                quoteColumn = column
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                if inWord { finish() }
            default:
                if !inWord {
                    inWord = true
                    start = column
                }
                buffer.append(byte)
            }
        }
        if quoteOpen { throw ModelError(.syntax, input: "", "unclosed", at: SourceLocation(line: line, column: quoteColumn)) }
        if inWord { finish() }
        return tokens
    }

    @Test func wordsSplitAsBefore() {
        let pieces = ["-A", "FORWARD", " ", "  ", "\t", "\"", "\\", "\\\"", "a b", "x", "é", "\"\"", "--comment", "\"quoted words\"", "\r"]
        var random = SeededRandom(seed: 12)
        var lines = 0
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &random) { text += random.pick(pieces) }
            // A slice that does not start at index 0, as the parser passes after `[p:b]` counters.
            let bytes = Array(("[0:0] " + text).utf8)[6...]
            let new = Result { try SaveTokenizer.tokenize(bytes, line: 3, firstColumn: 7) }
            let old = Result { try Self.referenceTokens(bytes, line: 3, firstColumn: 7) }
            switch (new, old) {
            case (.success(let a), .success(let b)):
                #expect(a == b, "\(text.debugDescription)")
                lines += 1
            case (.failure(let a as ModelError), .failure(let b as ModelError)):
                #expect(a.location == b.location, "\(text.debugDescription)")
            default:
                Issue.record("tokenizing \(text.debugDescription): \(new) but before \(old)")
            }
        }
        #expect(lines > 300)
    }

    /// `SaveWriter.quote` before its ASCII path: character by character.
    static func referenceQuote(_ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        if plain { return value }
        var out = "\""
        for character in value {
            if character == "\"" || character == "\\" || character == "'" { out.append("\\") }
            out.append(character)
        }
        out.append("\"")
        return out
    }

    @Test func stringsQuoteAsBefore() {
        var random = SeededRandom(seed: 13)
        for _ in 0..<5_000 {
            let text = Self.randomText(&random, maximum: 12)
            #expect(SaveWriter.quote(text) == Self.referenceQuote(text), "\(text.debugDescription)")
        }
        #expect(SaveWriter.quote("\"\u{301}'") == Self.referenceQuote("\"\u{301}'"))
    }
}
