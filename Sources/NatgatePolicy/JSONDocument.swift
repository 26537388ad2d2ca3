/// A JSON text (RFC 8259) read strictly, into a flat list of nodes.
///
/// What it accepts is exactly RFC 8259 JSON in UTF-8, optionally after a UTF-8 byte order mark:
/// no comments, no trailing commas, no single quotes, no leading zeros or `+` signs, no raw control
/// characters or invalid UTF-8 in strings, and no lone UTF-16 surrogates in `\u` escapes. Beyond the
/// RFC, an object that repeats a key is an error (JSON leaves it undefined which one counts; for a
/// policy file either choice would silently drop a setting), and so is nesting deeper than
/// `maximumDepth`.
///
/// Every value is one `Node` in `nodes`, in document order: an object's node is followed by its
/// members, each a key (a string node) then the value's nodes; an array's node by its elements. Each
/// node records where the nodes after its value start (`next`), so a reader steps from one member
/// or element to the next without looking inside it. Strings are decoded once, while parsing (all
/// escapes resolved), into `strings`; numbers are kept there as their literal text.
///
/// This is natgate's own reader rather than Foundation's `JSONDecoder` because a policy file of
/// 10,000 gateways must be read in a few milliseconds (issue #6): the tape costs one array append per
/// value and never builds dictionaries.
struct JSONDocument {
    /// The deepest nesting of objects and arrays accepted; deeper input is refused rather than
    /// risking the parser's stack. (Foundation's reader has the same limit.)
    static let maximumDepth = 512

    enum Kind: UInt8 {
        case object, array, string, number, `true`, `false`, null
    }

    struct Node {
        var kind: Kind
        /// Objects: the number of members; arrays: of elements; strings and numbers: the index of
        /// the text in `strings`; otherwise 0.
        var payload: Int32
        /// The index of the first node after this value (and everything inside it).
        var next: Int32
    }

    private(set) var nodes: [Node]
    private(set) var strings: [String]

    /// Parses `bytes`, which must hold exactly one JSON value (white space around it allowed).
    init(parsing bytes: UnsafeRawBufferPointer) throws(JSONReadError) {
        var parser = JSONParser(bytes: bytes.bindMemory(to: UInt8.self))
        try parser.parseDocument()
        nodes = parser.nodes
        strings = parser.strings
    }

    /// The index of the top-level value.
    var root: Int { 0 }

    func kind(_ node: Int) -> Kind { nodes[node].kind }

    /// The text of a string node (escapes resolved) or the literal of a number node.
    func text(_ node: Int) -> String {
        precondition(nodes[node].kind == .string || nodes[node].kind == .number, "node \(node) has no text")
        return strings[Int(nodes[node].payload)]
    }

    /// The members of an object node, in document order.
    func members(_ node: Int) -> Members {
        precondition(nodes[node].kind == .object, "node \(node) is not an object")
        return Members(document: self, first: node + 1, count: Int(nodes[node].payload))
    }

    /// The elements of an array node, in document order.
    func elements(_ node: Int) -> Elements {
        precondition(nodes[node].kind == .array, "node \(node) is not an array")
        return Elements(document: self, first: node + 1, count: Int(nodes[node].payload))
    }

    struct Members: Sequence {
        let document: JSONDocument
        let first: Int
        let count: Int

        struct Iterator: IteratorProtocol {
            let document: JSONDocument
            var key: Int
            var remaining: Int

            mutating func next() -> (key: String, value: Int)? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let value = key + 1
                defer { key = Int(document.nodes[value].next) }
                return (document.strings[Int(document.nodes[key].payload)], value)
            }
        }

        func makeIterator() -> Iterator { Iterator(document: document, key: first, remaining: count) }
        var underestimatedCount: Int { count }
    }

    struct Elements: Sequence {
        let document: JSONDocument
        let first: Int
        let count: Int

        struct Iterator: IteratorProtocol {
            let document: JSONDocument
            var element: Int
            var remaining: Int

            mutating func next() -> Int? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                defer { element = Int(document.nodes[element].next) }
                return element
            }
        }

        func makeIterator() -> Iterator { Iterator(document: document, element: first, remaining: count) }
        var underestimatedCount: Int { count }
    }
}

// MARK: Numbers as integers

extension JSONDocument {
    /// What a JSON number literal is as an `Int`.
    enum IntegerValue: Equatable {
        case exactly(Int)
        /// The number has a fractional part (`1.5`, `1e-1`).
        case fractional
        /// A whole number outside `Int`'s range.
        case outOfRange
    }

    /// The exact value of a number literal (valid JSON number syntax), as an integer when it is one.
    ///
    /// Exact, not through `Double`: `1`, `1.0`, `1e0`, `10e-1` and `0.1e1` are all 1; `-0` is 0;
    /// `1.5` is fractional; `1e30` is out of range.
    static func integerValue(ofNumber literal: String) -> IntegerValue {
        var utf8 = Substring(literal).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        // The significant digits (integer then fraction part) and the power of ten they are scaled by.
        var digits: [UInt8] = []
        var scale = 0
        var inFraction = false
        var exponentStart: Substring.UTF8View.Index?
        for index in utf8.indices {
            let byte = utf8[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                exponentStart = utf8.index(after: index)
                break
            } else {
                if !(digits.isEmpty && byte == UInt8(ascii: "0")) { digits.append(byte - UInt8(ascii: "0")) }
                if inFraction { scale -= 1 }
            }
        }
        if let exponentStart {
            var exponentDigits = utf8[exponentStart...]
            var sign = 1
            if let first = exponentDigits.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
                sign = first == UInt8(ascii: "-") ? -1 : 1
                exponentDigits = exponentDigits.dropFirst()
            }
            var exponent = 0
            for byte in exponentDigits {
                // Saturate: a number with more than a billion digits' worth of exponent is out of any range.
                exponent = min(exponent * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000_000)
            }
            scale += sign * exponent
        }
        while let last = digits.last, last == 0 {
            digits.removeLast()
            scale += 1
        }
        if digits.isEmpty { return .exactly(0) }
        if scale < 0 { return .fractional }
        guard digits.count + scale <= 19 else { return .outOfRange }
        var magnitude: UInt64 = 0
        for digit in digits { magnitude = magnitude * 10 + UInt64(digit) }
        for _ in 0..<scale { magnitude *= 10 }
        if negative {
            return magnitude <= UInt64(Int.max) + 1 ? .exactly(magnitude == UInt64(Int.max) + 1 ? .min : -Int(magnitude)) : .outOfRange
        }
        return magnitude <= UInt64(Int.max) ? .exactly(Int(magnitude)) : .outOfRange
    }
}
