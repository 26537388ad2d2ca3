import NatgateModel

/// The kernel entry of a lean shape's first line, with the offsets of the fields its lines fill
/// in: `-s`, `-d`, `-i`, `-o` (values and masks) and the comment's text. How `natgate restore`
/// encodes 40,000 rules of a few shapes without a model rule for each.
///
/// A template is made only when the shape's second line, encoded through the model, equals the
/// template filled with that line's values (by `append`, the one filler) byte for byte;
/// otherwise every line of the shape is encoded through the model.
struct LeanEntryTemplate {
    let entry: [UInt8]
    /// Where the comment's 256 bytes are in `entry`, when the shape has a comment placeholder.
    let comment: Int?

    /// The template of `shape` (one of `lean`'s), or nil when its lines must be encoded one by
    /// one.
    init?(_ shape: LeanShape, in lean: LeanRuleset, encoder: EntryEncoder) {
        let family = lean.family
        guard shape.state == .verified, let witness = shape.witness, let witnessLine = shape.witnessLine,
            let entry = try? encoder.encode(shape.prototype, table: shape.table, chain: shape.chain)
        else { return nil }
        var comment: Int?
        if shape.prototypeValues.comment != nil {
            var list = EntryList(family: family)
            list.append(entry)
            guard let payload = list.payload(ofMatch: "comment", in: 0), payload.count == EntryTemplate.commentSize else { return nil }
            comment = payload.lowerBound
        }
        self.entry = entry
        self.comment = comment
        // The proof: the second line, filled in, is what the encoder makes of it.
        guard let expected = try? encoder.encode(witness, table: shape.table, chain: shape.chain) else { return nil }
        var filled: [UInt8] = []
        guard append(witnessLine, in: lean, counters: false, to: &filled), filled == expected else { return nil }
    }

    /// Appends the template filled with the values of `rule`, read from its words in `lean`'s
    /// text without making model values; false when a value does not fit the template (a
    /// network of the other family, a comment too long).
    func append(_ rule: FastRule, in lean: LeanRuleset, counters: Bool, to out: inout [UInt8]) -> Bool {
        let family = lean.family
        let layout = EntryLayout.of(family)
        // Networks in other forms than a plain dotted quad are read through the model.
        var source: IPNetwork?
        var destination: IPNetwork?
        if rule.sourceV4 == nil, let word = rule.sourceText { source = lean.network(word) }
        if rule.destinationV4 == nil, let word = rule.destinationText { destination = lean.network(word) }
        let given = counters ? lean.counters(rule) : nil
        let base = out.count
        out.append(contentsOf: entry)
        let filled = out.withUnsafeMutableBytes { raw -> Bool in
            let p = raw.baseAddress! + base
            func v4(_ value: (address: UInt32, length: Int), address: Int, mask: Int) {
                let maskBits = IPv4Network.mask(prefixLength: value.length)
                p.storeBytes(of: (value.address & maskBits).bigEndian, toByteOffset: address, as: UInt32.self)
                p.storeBytes(of: maskBits.bigEndian, toByteOffset: mask, as: UInt32.self)
            }
            func network(_ value: IPNetwork?, address: Int, mask: Int) -> Bool {
                guard let value else { return true }
                switch (value, family) {
                case (.v4(let v4), .ipv4):
                    p.storeBytes(of: v4.address.rawValue.bigEndian, toByteOffset: address, as: UInt32.self)
                    p.storeBytes(of: v4.mask.bigEndian, toByteOffset: mask, as: UInt32.self)
                case (.v6(let v6), .ipv6):
                    p.storeBytes(of: v6.address.high.bigEndian, toByteOffset: address, as: UInt64.self)
                    p.storeBytes(of: v6.address.low.bigEndian, toByteOffset: address + 8, as: UInt64.self)
                    p.storeBytes(of: v6.mask.high.bigEndian, toByteOffset: mask, as: UInt64.self)
                    p.storeBytes(of: v6.mask.low.bigEndian, toByteOffset: mask + 8, as: UInt64.self)
                default:
                    return false
                }
                return true
            }
            if let value = rule.sourceV4 {
                guard family == .ipv4 else { return false }
                v4(value, address: layout.source, mask: layout.sourceMask)
            } else if rule.sourceText != nil {
                guard source != nil, network(source, address: layout.source, mask: layout.sourceMask) else { return false }
            }
            if let value = rule.destinationV4 {
                guard family == .ipv4 else { return false }
                v4(value, address: layout.destination, mask: layout.destinationMask)
            } else if rule.destinationText != nil {
                guard destination != nil, network(destination, address: layout.destination, mask: layout.destinationMask) else { return false }
            }
            if let word = rule.inText { EntryInterface(bytes: lean.text[word]).store(p, name: layout.inInterface, mask: layout.inInterfaceMask) }
            if let word = rule.outText { EntryInterface(bytes: lean.text[word]).store(p, name: layout.outInterface, mask: layout.outInterfaceMask) }
            if let comment {
                guard let word = rule.commentText, word.count < EntryTemplate.commentSize else { return false }
                let field = p + comment
                field.initializeMemory(as: UInt8.self, repeating: 0, count: EntryTemplate.commentSize)
                lean.text[word].withUnsafeBytes { if let from = $0.baseAddress { field.copyMemory(from: from, byteCount: $0.count) } }
            }
            if let given {
                p.storeBytes(of: given.packets.littleEndian, toByteOffset: layout.counters, as: UInt64.self)
                p.storeBytes(of: given.bytes.littleEndian, toByteOffset: layout.counters + 8, as: UInt64.self)
            }
            return true
        }
        if !filled { out.removeSubrange(base...) }
        return filled
    }
}

extension KernelBackend {
    /// The tables of a lean parse as `restore(_:entries:options:)` takes them: each table's model
    /// without rules, and the rules of each of its chains as entries, in order.
    ///
    /// Lines of a verified shape are copies of the shape's entry with their values written in;
    /// every other rule is encoded through the model. Runs in the backend's namespace, where
    /// `-m set` names resolve.
    ///
    /// - Throws: `KernelError` for a rule the encoder refuses, with its chain and position.
    /// - Returns: the tables, their entries, and how many entries were copied from a template.
    public func entries(of lean: LeanRuleset, counters: Bool) throws -> (tables: [Table], entries: [TableName: [ChainName: EntryList]], copied: Int) {
        try namespace.run {
            var encoder = EntryEncoder(family: family, codecs: codecs)
            encoder.ipSets = IPSetNames(KernelIPSetResolver())
            var templates: [Int: LeanEntryTemplate?] = [:]
            var tables: [Table] = []
            var copied = 0
            var entries: [TableName: [ChainName: EntryList]] = [:]
            for table in lean.tables {
                var chains: [ChainName: EntryList] = [:]
                for (index, chain) in table.table.chains.enumerated() {
                    let rules = index < table.rules.count ? table.rules[index] : []
                    var list = EntryList(family: family)
                    list.starts.reserveCapacity(rules.count)
                    for (position, rule) in rules.enumerated() {
                        list.starts.append(list.bytes.count)
                        switch rule {
                        case .model(let model):
                            list.bytes += try encoder.encode(counters ? model : model.withoutCounters, table: table.table.name, chain: chain.name, position: position + 1, counters: counters)
                        case .fast(let fast):
                            let template: LeanEntryTemplate?
                            if let known = templates[fast.shape] {
                                template = known
                            } else {
                                template = LeanEntryTemplate(lean.shapes[fast.shape], in: lean, encoder: encoder)
                                templates[fast.shape] = template
                            }
                            if let template, template.append(fast, in: lean, counters: counters, to: &list.bytes) {
                                copied += 1
                                continue
                            }
                            var model = try lean.modelRule(fast, table: table)
                            if !counters { model.counters = nil }
                            list.bytes += try encoder.encode(model, table: table.table.name, chain: chain.name, position: position + 1, counters: counters)
                        }
                    }
                    chains[chain.name] = list
                }
                tables.append(table.table)
                entries[table.table.name] = chains
            }
            return (tables, entries, copied)
        }
    }
}

extension KernelBackend {
    /// Commits the tables of a lean parse, as `restore(_:options:)` commits model tables: each
    /// table atomically, in the order the text gives them, the earlier ones restored if a later
    /// one fails, only the rules that differ touched. The rules go to libiptc as entries made from
    /// their shapes (`entries(of:counters:)`), never as model rules.
    ///
    /// Equivalent to: `iptables-legacy-restore [--noflush] [--counters] [--test] < FILE`.
    /// - Throws: `KernelError`; a rule natgate cannot encode is named by table, chain and position.
    @discardableResult
    public func restore(_ lean: consuming LeanRuleset, options: RestoreOptions = RestoreOptions()) throws -> UpdateReport {
        let (tables, entries, _) = try entries(of: lean, counters: options.counters)
        _ = consume lean
        return try restore(tables, entries: entries, options: options)
    }
}
