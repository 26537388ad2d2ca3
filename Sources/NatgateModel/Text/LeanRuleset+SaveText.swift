// Printing a lean parse: the canonical text, lean rules written from their shapes (see
// LeanSaveText.swift).

extension LeanRuleset {
    /// Whether the rule's target is a name the parser could not resolve yet (a chain declared
    /// later, or a mistake): such a rule is settled at COMMIT, so it has no shape.
    static func hasUnresolvedTarget(_ rule: Rule) -> Bool {
        if case .extension(let target)? = rule.target, target.as(UnknownTarget.self) != nil { return true }
        return false
    }

    /// The canonical text of the rules, as `Ruleset.saveText()` prints the same text parsed into
    /// the model: `natgate fmt`'s output, as UTF-8 bytes.
    public func saveText() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 8 + 1024)
        let shapeText = shapes.map(ShapeText.init)
        for lean in tables {
            var complete = lean.table
            for builtin in complete.name.builtinChains where complete.chain(named: builtin) == nil {
                complete.chains.append(Chain(name: builtin, policy: .accept))
            }
            let positions = Dictionary(lean.table.chains.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            let ordered = complete.canonicallyOrdered
            out.append(contentsOf: "*\(complete.name.rawValue)\n".utf8)
            for chain in ordered.chains {
                let builtin = complete.name.isBuiltin(chain.name)
                let policy = builtin ? (chain.policy ?? .accept).rawValue : "-"
                out.append(contentsOf: ":\(chain.name.rawValue) \(policy) \(builtin ? chain.counters : .zero)\n".utf8)
            }
            for chain in ordered.chains {
                guard let position = positions[chain.name], position < lean.rules.count else { continue }
                for rule in lean.rules[position] {
                    switch rule {
                    case .model(let model):
                        var writer = SaveWriter()
                        model.writeLine(to: &writer, family: family, table: complete.name, chain: chain.name)
                        out.append(contentsOf: writer.text.utf8)
                    case .fast(let fast):
                        LeanRuleset.appendLine(fast, text: text, family: family, shape: shapeText[fast.shape], counters: true, to: &out)
                    }
                    out.append(UInt8(ascii: "\n"))
                }
            }
            out.append(contentsOf: "COMMIT\n".utf8)
        }
        return out
    }

    /// Appends the canonical line of a lean rule from its words: `[p:b] ` when the line has
    /// counters (and `counters`), `-A CHAIN`, the header (`appendHeader`), then the shape's text
    /// around the comment. The one printer of lean rules: the shape check in the parser uses it
    /// too, so what is checked is what prints.
    static func appendLine(_ rule: FastRule, text: [UInt8], family: Family, shape: ShapeText, counters: Bool, to out: inout [UInt8]) {
        if counters, text[rule.bytes.lowerBound] == UInt8(ascii: "["), let given = LeanRuleset.counters(of: rule, in: text) {
            out.append(contentsOf: given.description.utf8)
            out.append(UInt8(ascii: " "))
        }
        appendHeader(rule, text: text, family: family, shape: shape, to: &out)
        out.append(contentsOf: shape.head)
        if let comment = rule.commentText {
            LeanRuleset.appendQuoted(text[comment], to: &out)
            out.append(contentsOf: shape.tail)
        }
    }

    /// Appends `-A CHAIN` and the header words iptables-save prints for a lean rule's values:
    /// `-s`, `-d`, `-i`, `-o`, each only when it tests something, as `Rule.write` prints them.
    static func appendHeader(_ rule: FastRule, text: [UInt8], family: Family, shape: ShapeText, to out: inout [UInt8]) {
        out.append(contentsOf: shape.prefix)
        func option(_ letter: UInt8, negated: Bool) {
            if negated {
                out.append(UInt8(ascii: " "))
                out.append(UInt8(ascii: "!"))
            }
            out.append(UInt8(ascii: " "))
            out.append(UInt8(ascii: "-"))
            out.append(letter)
            out.append(UInt8(ascii: " "))
        }
        func network(_ letter: UInt8, _ range: Range<Int>?, _ v4: (address: UInt32, length: Int)?, negated: Bool) {
            guard let range else { return }
            if let (address, length) = v4 {
                guard negated || length != 0 else { return }
                option(letter, negated: negated)
                IPv4Network(masking: IPv4Address(rawValue: address), prefixLength: length).address.appendText(to: &out)
                out.append(UInt8(ascii: "/"))
                LeanRuleset.appendDecimal(length, to: &out)
                return
            }
            guard let parsed = LeanScanner.scanNetwork(text[range], family: family), negated || !parsed.isAny else { return }
            option(letter, negated: negated)
            out.append(contentsOf: parsed.description.utf8)
        }
        func interface(_ letter: UInt8, _ range: Range<Int>?, negated: Bool) {
            guard let range else { return }
            option(letter, negated: negated)
            out.append(contentsOf: text[range])
        }
        network(UInt8(ascii: "s"), rule.sourceText, rule.sourceV4, negated: shape.sourceNegated)
        network(UInt8(ascii: "d"), rule.destinationText, rule.destinationV4, negated: shape.destinationNegated)
        interface(UInt8(ascii: "i"), rule.inText, negated: shape.inNegated)
        interface(UInt8(ascii: "o"), rule.outText, negated: shape.outNegated)
    }

    /// What printing a shape's lines needs, gathered once per shape: `-A CHAIN` as bytes, which
    /// header options are negated, and the text around the comment.
    struct ShapeText {
        var prefix: [UInt8]
        var head: [UInt8]
        var tail: [UInt8]
        var sourceNegated: Bool
        var destinationNegated: Bool
        var inNegated: Bool
        var outNegated: Bool

        init(_ shape: LeanShape) {
            prefix = Array("-A \(shape.chain.rawValue)".utf8)
            head = shape.head
            tail = shape.tail
            sourceNegated = shape.prototypeValues.sourceNegated
            destinationNegated = shape.prototypeValues.destinationNegated
            inNegated = shape.prototypeValues.inNegated
            outNegated = shape.prototypeValues.outNegated
        }
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// Appends a comment as `SaveWriter.quote` writes it. Lean comments are printable ASCII without
    /// `"` or `\` (the scanner sees to it), so only `'` is escaped.
    static func appendQuoted(_ value: ArraySlice<UInt8>, to out: inout [UInt8]) {
        // One pass finds whether the text needs quotes, and whether it has a `'` to escape.
        var plain = !value.isEmpty
        var apostrophe = false
        value.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "_"), UInt8(ascii: "-"):
                    continue
                case UInt8(ascii: "'"):
                    apostrophe = true
                    plain = false
                default:
                    plain = false
                }
            }
        }
        if plain {
            out.append(contentsOf: value)
            return
        }
        out.append(UInt8(ascii: "\""))
        if apostrophe {
            for byte in value {
                if byte == UInt8(ascii: "'") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
        } else {
            out.append(contentsOf: value)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Where `needle` starts in `haystack`, when it occurs there exactly once.
    static func onlyOccurrence(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var found: Int?
        var start = haystack.startIndex
        while start + needle.count <= haystack.endIndex {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) {
                if found != nil { return nil }
                found = start
            }
            start += 1
        }
        return found
    }
}

