// Splitting `-A` lines into words, values and keys for the lean parse (see LeanSaveText.swift).

/// Splits an `-A` line into words and its values, as far as the lean parse goes.
enum LeanScanner {
    /// What a line holds besides its key.
    struct Scanned {
        var counters: Counters?
        /// The chain's name, in the line.
        var chain: Range<Int>
        var values: FastValues
    }

    /// The bytes of a line by their index in the text, without bounds checks: the scanner's
    /// indices never leave the line.
    struct ByteView {
        let base: UnsafePointer<UInt8>
        let offset: Int
        @inline(__always) subscript(_ index: Int) -> UInt8 { base[index &- offset] }
    }

    /// One word of a line: where its text is (inside the quotes of a quoted word).
    struct Word {
        var start: Int
        var end: Int
        var quoted: Bool
        var range: Range<Int> { start..<end }
    }

    /// Where a line's key is written: a buffer allocated once, written through a pointer (an
    /// array's append checks its uniqueness and capacity at every byte).
    final class KeyBuffer {
        let pointer: UnsafeMutablePointer<UInt8>
        let capacity: Int
        /// How many bytes the current key has.
        var count = 0
        /// The words of the line being scanned (at most one for every two bytes of a line).
        let words: UnsafeMutablePointer<Word>

        init(capacity: Int) {
            self.capacity = capacity
            pointer = .allocate(capacity: capacity)
            words = .allocate(capacity: FastRule.maximumLength / 2 + 2)
        }

        deinit {
            pointer.deallocate()
            words.deallocate()
        }

        var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer, count: count) }

        func append(_ byte: UInt8) {
            pointer[count] = byte
            count += 1
        }

        func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 {
            for byte in bytes {
                pointer[count] = byte
                count += 1
            }
        }

        /// A hash of the key, eight bytes at a time (a multiply-rotate mix; byte-by-byte FNV
        /// showed in profiles).
        var hash: UInt64 {
            let raw = UnsafeRawPointer(pointer)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(count)
            var index = 0
            while index + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
                hash ^= hash >> 29
                index += 8
            }
            while index < count {
                hash = (hash ^ UInt64(pointer[index])) &* 0x0000_0100_0000_01B3
                index += 1
            }
            return hash
        }

        /// Whether the key is `other`, compared eight bytes at a time.
        func equals(_ other: [UInt8]) -> Bool {
            guard other.count == count else { return false }
            return other.withUnsafeBytes { stored in
                let mine = UnsafeRawPointer(pointer)
                var index = 0
                while index + 8 <= count {
                    if stored.loadUnaligned(fromByteOffset: index, as: UInt64.self) != mine.loadUnaligned(fromByteOffset: index, as: UInt64.self) { return false }
                    index += 8
                }
                while index < count {
                    if stored[index] != pointer[index] { return false }
                    index += 1
                }
                return true
            }
        }
    }

    /// The longest key a line makes: each byte of the line at most once, plus separators and the
    /// table and chain (`appendFast`).
    static let keyCapacity = 2 * FastRule.maximumLength + 256

    /// The line's counters, chain and values, with its key (every word but the values, and where
    /// they were) written to `key`; nil when the line is not one the lean parse reads.
    ///
    /// Read: `[p:b]`, then `-A CHAIN`, then words separated by spaces or tabs, each plain (no `"`)
    /// or wholly quoted (`"…"` without `\`, followed by a space or the end). Values: the word after
    /// `-s`, `-d` (one address, no list), `-i`, `-o`, each at most once and before the first `-m`,
    /// `-j` or `-g`, with `!` before it; and the text of the first `-m comment --comment TEXT`.
    static func scan(_ line: ArraySlice<UInt8>, family: Family, key: KeyBuffer) -> Scanned? {
        guard !line.isEmpty, line.count <= FastRule.maximumLength else { return nil }
        key.count = 0
        return line.withUnsafeBufferPointer { buffer -> Scanned? in
            let bytes = ByteView(base: buffer.baseAddress!, offset: line.startIndex)
            var index = line.startIndex
            var counters: Counters?
            if bytes[index] == UInt8(ascii: "[") {
                guard let parsed = scanCounters(line, &index) else { return nil }
                counters = parsed
            }
            guard let count = split(bytes, from: index, to: line.endIndex, into: key.words) else { return nil }
            return classify(line, bytes, words: UnsafeBufferPointer(start: key.words, count: count), counters: counters, family: family, key: key)
        }
    }

    /// Splits `from..<to` into `words`, returning how many; nil for a line the lean parse leaves to the model: a
    /// quote that is not a whole word, a backslash inside quotes, a control byte (which would blur
    /// the key's separators).
    private static func split(_ bytes: ByteView, from: Int, to end: Int, into words: UnsafeMutablePointer<Word>) -> Int? {
        var index = from
        var count = 0
        while true {
            while index < end, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard index < end else { return count }
            if bytes[index] == UInt8(ascii: "\"") {
                let start = index + 1
                index = start
                while index < end {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") { break }
                    if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                    index += 1
                }
                guard index < end else { return nil }
                words[count] = Word(start: start, end: index, quoted: true)
                count += 1
                index += 1
                if index < end, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\t") { return nil }
                continue
            }
            let start = index
            while index < end {
                // Above `"` (0x22) is an ordinary byte; at or below, a separator, `!`, or refused.
                let byte = bytes[index]
                if byte > 0x22 || byte == UInt8(ascii: "!") {
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { break }
                return nil
            }
            words[count] = Word(start: start, end: index, quoted: false)
            count += 1
        }
    }

    /// The words of a split line read as values and key.
    private static func classify(_ line: ArraySlice<UInt8>, _ bytes: ByteView, words: UnsafeBufferPointer<Word>, counters: Counters?, family: Family, key: KeyBuffer) -> Scanned? {
        func equals(_ word: Word, _ literal: StaticString) -> Bool {
            guard !word.quoted, word.end - word.start == literal.utf8CodeUnitCount else { return false }
            let pointer = literal.utf8Start
            for offset in 0..<literal.utf8CodeUnitCount where bytes[word.start + offset] != pointer[offset] { return false }
            return true
        }
        func part(_ word: Word) -> Bool { equals(word, "-m") || equals(word, "-j") || equals(word, "-g") }
        let keyPointer = key.pointer
        var k = key.count
        defer { key.count = k }
        func put(_ byte: UInt8) {
            keyPointer[k] = byte
            k += 1
        }

        guard words.count >= 2, equals(words[0], "-A") else { return nil }
        let chain = words[1]
        guard !chain.quoted, chain.end > chain.start, bytes[chain.start] != UInt8(ascii: "-"), !equals(chain, "!") else { return nil }

        var values = FastValues()
        var seen: UInt8 = 0
        var inHeader = true
        var negated = false
        var commentSeen = false
        var i = 2
        while i < words.count {
            let word = words[i]
            if equals(word, "!") {
                put(UInt8(ascii: "!"))
                put(0)
                negated = true
                i += 1
                continue
            }
            if inHeader, !word.quoted, word.end - word.start == 2, bytes[word.start] == UInt8(ascii: "-") {
                let option = bytes[word.start + 1]
                let bit: UInt8
                switch option {
                case UInt8(ascii: "s"): bit = 1
                case UInt8(ascii: "d"): bit = 2
                case UInt8(ascii: "i"): bit = 4
                case UInt8(ascii: "o"): bit = 8
                default: bit = 0
                }
                if bit != 0 {
                    guard seen & bit == 0, i + 1 < words.count, !words[i + 1].quoted else { return nil }
                    let value = words[i + 1].range
                    seen |= bit
                    put(UInt8(ascii: "-"))
                    put(option)
                    put(1)
                    put(0)
                    // Checked here; printing and encoding read the word again.
                    switch bit {
                    case 1, 2:
                        let v4 = family == .ipv4 ? plainIPv4Prefix(line[value]) : nil
                        guard v4 != nil || scanNetwork(line[value], family: family) != nil else { return nil }
                        if bit == 1 {
                            values.sourceText = value
                            values.sourceV4 = v4.map { ($0.0, $0.1) }
                            values.sourceNegated = negated
                        } else {
                            values.destinationText = value
                            values.destinationV4 = v4.map { ($0.0, $0.1) }
                            values.destinationNegated = negated
                        }
                    default:
                        guard isInterface(line[value]) else { return nil }
                        if bit == 4 {
                            values.inText = value
                            values.inNegated = negated
                        } else {
                            values.outText = value
                            values.outNegated = negated
                        }
                    }
                    negated = false
                    i += 2
                    continue
                }
            }
            if part(word) { inHeader = false }
            // `-m comment --comment TEXT`, followed by the end or a word that starts another part.
            if !commentSeen, i + 3 < words.count, equals(word, "-m"), equals(words[i + 1], "comment"), equals(words[i + 2], "--comment"),
                scanComment(line[words[i + 3].range]), i + 4 == words.count || part(words[i + 4])
            {
                commentSeen = true
                values.comment = words[i + 3].range
                for byte in "-m\u{0}comment\u{0}--comment\u{0}\u{1}\u{0}".utf8 { put(byte) }
                negated = false
                i += 4
                continue
            }
            if word.quoted { put(UInt8(ascii: "\"")) }
            for position in word.start..<word.end { put(bytes[position]) }
            put(0)
            negated = false
            i += 1
        }
        return Scanned(counters: counters, chain: chain.range, values: values)
    }

    /// The index of the first newline in `text` from `start`, or `text.count`: eight bytes at a
    /// time (a line of 100 bytes costs 13 steps instead of 100).
    static func newline(in text: [UInt8], from start: Int) -> Int {
        text.withUnsafeBufferPointer { buffer -> Int in
            let count = buffer.count
            var index = start
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let pattern = ones &* UInt64(UInt8(ascii: "\n"))
            let raw = UnsafeRawPointer(buffer.baseAddress!)
            while index + 8 <= count {
                // The first byte in the low bits on every platform; a zero byte is a newline.
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ pattern
                // Exact for the lowest zero byte (borrows only mark bytes above it).
                let zeros = (word &- ones) & ~word & highs
                if zeros != 0 { return index + (zeros.trailingZeroBitCount >> 3) }
                index += 8
            }
            while index < count, buffer[index] != UInt8(ascii: "\n") { index += 1 }
            return index
        }
    }

    /// Whether a word is an interface name `InterfaceName` takes as it is, and not `+` alone
    /// (which iptables-save does not print): `InterfaceName.isPlainValid` for plain names.
    private static func isInterface(_ word: ArraySlice<UInt8>) -> Bool {
        if word.count == 1, word.first == UInt8(ascii: "+") { return false }
        return InterfaceName.isPlainValid(word) || scanInterface(word) != nil
    }

    /// `[packets:bytes]` and the spaces after it, as the model parse reads them.
    static func scanCounters(_ line: ArraySlice<UInt8>, _ index: inout Int) -> Counters? {
        var scan = index + 1
        func number() -> UInt64? {
            let start = scan
            var value: UInt64 = 0
            while scan < line.endIndex, line[scan] >= UInt8(ascii: "0"), line[scan] <= UInt8(ascii: "9") {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(line[scan] - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                value = sum
                scan += 1
            }
            return scan > start ? value : nil
        }
        guard let packets = number(), scan < line.endIndex, line[scan] == UInt8(ascii: ":"), case _ = (scan += 1),
            let bytes = number(), scan < line.endIndex, line[scan] == UInt8(ascii: "]")
        else { return nil }
        index = scan + 1
        return Counters(packets: packets, bytes: bytes)
    }

    /// An address as `-s`/`-d` read it: dotted quads in plain decimal with an optional prefix
    /// length here; any other form (octal, masks, IPv6) through the model's own reading.
    static func scanNetwork(_ bytes: ArraySlice<UInt8>, family: Family) -> IPNetwork? {
        guard !bytes.isEmpty, !bytes.contains(UInt8(ascii: ",")) else { return nil }
        if family == .ipv4, let network = plainIPv4(bytes) { return network }
        return try? IPNetwork(iptablesText: String(decoding: bytes, as: UTF8.self), family: family)
    }

    private static func plainIPv4(_ bytes: ArraySlice<UInt8>) -> IPNetwork? {
        guard let (address, length) = plainIPv4Prefix(bytes) else { return nil }
        if length == 0 { return .v4(.any) }
        return .v4(IPv4Network(masking: IPv4Address(rawValue: address), prefixLength: length))
    }

    /// The address (host bits not cleared) and prefix length of a plain dotted quad with an
    /// optional `/LENGTH`, all in decimal without leading zeros; nil for any other form.
    static func plainIPv4Prefix(_ bytes: ArraySlice<UInt8>) -> (UInt32, Int)? {
        var address: UInt32 = 0
        var index = bytes.startIndex
        func number(maximum: Int) -> Int? {
            let start = index
            var value = 0
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
                if index - start > 3 { return nil }
            }
            // No leading zero: iptables reads 010 as octal.
            guard index > start, value <= maximum, index - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            return value
        }
        for part in 0..<4 {
            if part > 0 {
                guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") else { return nil }
                index += 1
            }
            guard let value = number(maximum: 255) else { return nil }
            address = address << 8 | UInt32(value)
        }
        var length = 32
        if index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "/") else { return nil }
            index += 1
            guard let value = number(maximum: 32), index == bytes.endIndex else { return nil }
            length = value
        }
        return (address, length)
    }

    /// An interface name the model takes as it is: printable ASCII the model accepts, not `+`
    /// alone (iptables-save prints nothing for it).
    static func scanInterface(_ bytes: ArraySlice<UInt8>) -> InterfaceName? {
        guard !bytes.isEmpty, bytes.count <= 15, !(bytes.count == 1 && bytes.first == UInt8(ascii: "+")) else { return nil }
        return try? InterfaceName(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether a comment's text is one the lean parse prints: 1 to 255 bytes of printable ASCII
    /// without `"` or `\`, not starting with `-` (an option to the model's eyes).
    static func scanComment(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= CommentMatch.maximumLength, bytes.first != UInt8(ascii: "-") else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer where byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            return true
        }
    }
}
