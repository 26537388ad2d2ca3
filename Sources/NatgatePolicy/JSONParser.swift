/// The parser behind `JSONDocument`: a recursive descent over the bytes, one node appended per value.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0
    var nodes: [JSONDocument.Node] = []
    var strings: [String] = []
    /// Reused for strings with escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // About one node per 8 bytes and one string per 24 in a policy file; reserving spares the
        // copies of growing (reserved pages that are never written cost nothing).
        nodes.reserveCapacity(bytes.count / 8)
        strings.reserveCapacity(bytes.count / 24)
    }

    // MARK: Errors

    static let structureAdvice = "Check the brackets, quotes and commas."

    func error(_ problem: String, advice: String = JSONParser.structureAdvice, at offset: Int? = nil) -> JSONReadError {
        let (line, column) = location(of: offset ?? position)
        return JSONReadError(reason: .syntax(problem: problem, advice: advice), line: line, column: column, path: [])
    }

    /// The 1-based line and column (in Unicode scalars) of the byte at `offset`.
    func location(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    /// `'x'`, `'é'`, or a description of what is at `offset`, for messages.
    func describe(at offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the text" }
        let byte = bytes[offset]
        switch byte {
        case UInt8(ascii: "'"): return "a single quote"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case UInt8(ascii: " "): return "a space"
        case UInt8(ascii: "\n"): return "a line break"
        case UInt8(ascii: "\t"): return "a tab"
        case UInt8(ascii: "\r"): return "a carriage return"
        default:
            if byte >= 0x80, let length = utf8SequenceLength(at: offset) {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
                return "'\(text)'"
            }
            return "the byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    // MARK: Values

    mutating func parseDocument() throws(JSONReadError) {
        guard bytes.count < Int(Int32.max) else {
            throw error("the text is \(bytes.count) bytes long", advice: "A policy file must be smaller than 2 GiB.", at: 0)
        }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        skipWhitespace()
        guard position < bytes.count else {
            throw error("the text is empty", advice: "Write a JSON object such as {\"version\": 1, \"gateways\": []}.")
        }
        try parseValue()
        skipWhitespace()
        if position < bytes.count {
            throw error("\(describe(at: position)) after the end of the JSON value", advice: "Remove it, or check the brackets before it.")
        }
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            // Every white space byte is at most 0x20; most bytes that follow it are above.
            guard byte <= UInt8(ascii: " "),
                byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            else { return }
            position += 1
        }
    }

    /// Parses the value at `position` (white space already skipped).
    mutating func parseValue() throws(JSONReadError) {
        guard position < bytes.count else {
            throw error("the text ends where a value should be")
        }
        switch bytes[position] {
        case UInt8(ascii: "{"): try parseObject()
        case UInt8(ascii: "["): try parseArray()
        case UInt8(ascii: "\""):
            let index = try parseString()
            append(.string, payload: index)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        case UInt8(ascii: "t"): try parseLiteral("true", .true)
        case UInt8(ascii: "f"): try parseLiteral("false", .false)
        case UInt8(ascii: "n"): try parseLiteral("null", .null)
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            throw error("\(describe(at: position)) where a value should be", advice: "Remove the comma before it, or add the missing value.")
        case UInt8(ascii: "'"):
            throw error("a single quote where a value should be", advice: "JSON strings are written in double quotes: \"eth0\".")
        default:
            throw error(
                "\(describe(at: position)) where a value should be",
                advice: "A value is an object, an array, a string in double quotes, a number, true, false or null.")
        }
    }

    mutating func append(_ kind: JSONDocument.Kind, payload: Int32 = 0) {
        nodes.append(JSONDocument.Node(kind: kind, payload: payload, next: Int32(nodes.count + 1)))
    }

    mutating func enter() throws(JSONReadError) {
        depth += 1
        if depth > JSONDocument.maximumDepth {
            throw error("objects and arrays nested more than \(JSONDocument.maximumDepth) deep", advice: "A policy file needs four levels.")
        }
    }

    mutating func parseObject() throws(JSONReadError) {
        try enter()
        let object = nodes.count
        append(.object)
        position += 1  // {
        var count: Int32 = 0
        var seen: Set<String> = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                        throw error("a comma before '}'", advice: "Remove the comma after the last member.", at: lastComma())
                    }
                    throw error(
                        "\(describe(at: position)) where a key should be",
                        advice: position < bytes.count && bytes[position] == UInt8(ascii: "'")
                            ? "JSON keys are written in double quotes: \"version\"."
                            : "Write the key in double quotes, such as \"subnet\", or close the object with '}'.")
                }
                let keyOffset = position
                let keyIndex = try parseString()
                let key = strings[Int(keyIndex)]
                let repeated: Bool
                if count < 16 {
                    repeated = hasKey(key, object: object, count: Int(count))
                } else {
                    // Large objects: a set, so that a file of many keys costs linear time.
                    if seen.isEmpty { seen = Set(keys(object: object, count: Int(count))) }
                    repeated = !seen.insert(key).inserted
                }
                if repeated {
                    let (line, column) = location(of: keyOffset)
                    throw JSONReadError(reason: .duplicateKey(key), line: line, column: column, path: [])
                }
                append(.string, payload: keyIndex)
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw error("\(describe(at: position)) after the key \"\(key)\"", advice: "Put a ':' between a key and its value.")
                }
                position += 1
                skipWhitespace()
                do {
                    try parseValue()
                } catch var error {
                    error.path.insert(.key(key), at: 0)
                    throw error
                }
                count += 1
                skipWhitespace()
                guard position < bytes.count else {
                    throw error("the text ends inside an object", advice: "Close the object with '}'.")
                }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "}") else {
                    throw error(
                        "\(describe(at: position)) after the value of \"\(key)\"",
                        advice: "Separate members with ',' and close the object with '}'.")
                }
                position += 1
                break
            }
        }
        nodes[object].payload = count
        nodes[object].next = Int32(nodes.count)
        depth -= 1
    }

    /// Whether the first `count` members of the object at node `object` include `key`: a linear
    /// search, for the small objects of a policy file.
    func hasKey(_ key: String, object: Int, count: Int) -> Bool {
        var node = object + 1
        for _ in 0..<count {
            if strings[Int(nodes[node].payload)] == key { return true }
            node = Int(nodes[node + 1].next)
        }
        return false
    }

    /// The keys of the first `count` members of the object at node `object`.
    func keys(object: Int, count: Int) -> [String] {
        var keys: [String] = []
        var node = object + 1
        for _ in 0..<count {
            keys.append(strings[Int(nodes[node].payload)])
            node = Int(nodes[node + 1].next)
        }
        return keys
    }

    /// The offset of the last ',' before `position`, skipping white space.
    func lastComma() -> Int {
        var offset = position - 1
        while offset > 0, bytes[offset] != UInt8(ascii: ",") { offset -= 1 }
        return offset
    }

    mutating func parseArray() throws(JSONReadError) {
        try enter()
        let array = nodes.count
        append(.array)
        position += 1  // [
        var count: Int32 = 0
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    throw error("a comma before ']'", advice: "Remove the comma after the last element.", at: lastComma())
                }
                do {
                    try parseValue()
                } catch var error {
                    error.path.insert(.index(Int(count)), at: 0)
                    throw error
                }
                count += 1
                skipWhitespace()
                guard position < bytes.count else {
                    throw error("the text ends inside an array", advice: "Close the array with ']'.")
                }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "]") else {
                    throw error(
                        "\(describe(at: position)) after an element of an array",
                        advice: "Separate elements with ',' and close the array with ']'.")
                }
                position += 1
                break
            }
        }
        nodes[array].payload = count
        nodes[array].next = Int32(nodes.count)
        depth -= 1
    }

    mutating func parseLiteral(_ literal: StaticString, _ kind: JSONDocument.Kind) throws(JSONReadError) {
        let length = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: length)
        guard position + length <= bytes.count, bytes[position..<position + length].elementsEqual(expected) else {
            throw error(
                "\(describe(at: position)) where a value should be",
                advice: "Did you mean \(literal)? JSON writes true, false and null in lower case; text goes in double quotes.")
        }
        position += length
        append(kind)
    }

    // MARK: Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as text.
    mutating func parseNumber() throws(JSONReadError) {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else {
            throw error("\(describe(at: position)) after '-'", advice: "Write a digit after the minus sign, such as -1.")
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) {
                throw error("a number with a leading zero", advice: "Write numbers without leading zeros: 1, not 01.", at: start)
            }
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("\(describe(at: position)) after a decimal point", advice: "Write a digit after the decimal point, such as 1.0, or leave the point out.")
            }
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("\(describe(at: position)) in the exponent of a number", advice: "Write the exponent's digits, such as 1e3.")
            }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        strings.append(text)
        append(.number, payload: Int32(strings.count - 1))
    }

    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    // MARK: Strings

    /// Parses the string at `position` (its opening quote) into `strings`; returns its index.
    mutating func parseString() throws(JSONReadError) -> Int32 {
        let open = position
        position += 1
        let start = position
        // The common case: no escapes. Scan to the closing quote checking UTF-8 as we go.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                strings.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
                position += 1
                return Int32(strings.count - 1)
            }
            if byte == UInt8(ascii: "\\") { break }
            try checkStringByte(byte)
        }
        guard position < bytes.count else { throw unterminated(open) }
        // Escapes: copy what was scanned and decode the rest into `scratch`.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                strings.append(String(decoding: scratch, as: UTF8.self))
                position += 1
                return Int32(strings.count - 1)
            }
            if byte == UInt8(ascii: "\\") {
                try parseEscape()
                continue
            }
            let from = position
            try checkStringByte(byte)
            scratch.append(contentsOf: bytes[from..<position])
        }
        throw unterminated(open)
    }

    func unterminated(_ open: Int) -> JSONReadError {
        error("a string that is never closed", advice: "Close it with a double quote.", at: open)
    }

    /// Checks the unescaped character starting at `position` and steps over it.
    mutating func checkStringByte(_ byte: UInt8) throws(JSONReadError) {
        if byte < 0x20 {
            throw error(
                "\(describe(at: position)) inside a string",
                advice: byte == UInt8(ascii: "\n")
                    ? "Close the string with a double quote before the line ends."
                    : "Write control characters as escapes, such as \\t.")
        }
        if byte < 0x80 {
            position += 1
            return
        }
        guard let length = utf8SequenceLength(at: position) else {
            throw error("bytes that are not UTF-8", advice: "Save the file as UTF-8.")
        }
        position += length
    }

    /// The length of the valid UTF-8 sequence starting at `offset` (a byte ≥ 0x80), or nil when it
    /// is not one (overlong forms, surrogates and code points above U+10FFFF are not).
    func utf8SequenceLength(at offset: Int) -> Int? {
        let lead = bytes[offset]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return nil
        }
        guard offset + length <= bytes.count else { return nil }
        let second = bytes[offset + 1]
        guard second >= low, second <= high else { return nil }
        for index in offset + 2..<offset + length where bytes[index] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// Decodes the escape at `position` (its backslash) into `scratch`.
    mutating func parseEscape() throws(JSONReadError) {
        let backslash = position
        position += 1
        guard position < bytes.count else { throw unterminated(backslash) }
        let simple: UInt8
        switch bytes[position] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            position += 1
            var scalar = UInt32(try hexQuad(escapeAt: backslash))
            if (0xDC00...0xDFFF).contains(scalar) {
                throw error(
                    "\\u\(hex(scalar)), the second half of a UTF-16 surrogate pair without the first",
                    advice: "Write the character itself, or both halves of its pair.", at: backslash)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                let second = position
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error(
                        "\\u\(hex(scalar)), the first half of a UTF-16 surrogate pair without the second",
                        advice: "Write the character itself, or both halves of its pair, such as \\ud83d\\ude00.", at: backslash)
                }
                position += 2
                let low = UInt32(try hexQuad(escapeAt: second))
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error(
                        "\\u\(hex(scalar)) followed by \\u\(hex(low)), which is not the second half of a surrogate pair",
                        advice: "Write the character itself, or both halves of its pair, such as \\ud83d\\ude00.", at: backslash)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            // Not a surrogate, so a valid scalar.
            UTF8.encode(Unicode.Scalar(scalar)!) { scratch.append($0) }
            return
        default:
            let escaped = bytes[position]
            throw error(
                (0x21...0x7E).contains(escaped) && escaped != UInt8(ascii: "'")
                    ? "the escape \\\(Character(Unicode.Scalar(escaped)))"
                    : "a backslash followed by \(describe(at: position))",
                advice: "JSON's escapes are \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\uXXXX; write a backslash as \\\\.",
                at: backslash)
        }
        scratch.append(simple)
        position += 1
    }

    /// Reads the four hex digits at `position`.
    mutating func hexQuad(escapeAt backslash: Int) throws(JSONReadError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard position < bytes.count, let digit = hexValue(bytes[position]) else {
                throw error("a \\u escape without four hex digits", advice: "Write \\u and four hex digits, such as \\u00e9.", at: backslash)
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
