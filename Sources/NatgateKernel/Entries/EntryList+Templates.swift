import Glibc
import NatgateModel

extension InterfaceName {
    /// How many leading bytes of the kernel's interface mask are 0xFF for this name, as iptables
    /// sets them (`xtables_parse_interface`): the name and its NUL, or for a `+` wildcard only the
    /// bytes before the `+` (which stays in the name). The rest of the 16-byte mask is zero.
    package var entryMaskLength: Int {
        let count = rawValue.utf8.count
        return isWildcard ? count - 1 : count + 1
    }
}

extension EntryList {
    /// Removes every entry.
    package mutating func removeAll(keepingCapacity: Bool = false) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        starts.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Appends `rule` encoded as `KernelBackend.update` writes it in `chain` of `table`: an
    /// `ipt_entry`/`ip6t_entry` with its matches and target, counters zero (the rule's with
    /// `counters`), standard targets named after their verdict or chain (libiptc turns the name
    /// into a number when it commits).
    ///
    /// - Throws: `KernelError` (`.refused`) for a rule the encoder cannot write.
    package mutating func append(encoding rule: Rule, table: TableName, chain: ChainName, codecs: KernelCodecRegistry = .standard, counters: Bool = false) throws(KernelError) {
        let entry = try EntryEncoder(family: family, codecs: codecs).encode(rule, table: table, chain: chain, counters: counters)
        append(entry)
    }

    /// Where the payload of the first match called `name` lies in `bytes`, for entry `index`; nil
    /// when the entry has no such match or its match sizes do not add up.
    package func payload(ofMatch name: String, in index: Int) -> Range<Int>? {
        let layout = EntryLayout.of(family)
        let entry = range(index)
        guard entry.count >= layout.headerSize else { return nil }
        let targetOffset = Int(loadU16(entry.lowerBound + layout.targetOffset))
        guard targetOffset <= entry.count else { return nil }
        var name = name
        return name.withUTF8 { nameBytes -> Range<Int>? in
            guard nameBytes.count < EntryLayout.extensionNameSize else { return nil }
            return bytes.withUnsafeBytes { raw -> Range<Int>? in
                var offset = layout.headerSize
                while offset + EntryLayout.extensionHeaderSize <= targetOffset {
                    let at = entry.lowerBound + offset
                    let size = Int(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))
                    guard size >= EntryLayout.extensionHeaderSize, offset + size <= targetOffset else { return nil }
                    if raw[at + 2 + nameBytes.count] == 0,
                       nameBytes.isEmpty || memcmp(raw.baseAddress! + at + 2, nameBytes.baseAddress!, nameBytes.count) == 0 {
                        return (at + EntryLayout.extensionHeaderSize)..<(at + size)
                    }
                    offset += size
                }
                return nil
            }
        }
    }

    /// The entries as model rules of `chain` in `table`, in order.
    ///
    /// Takes both forms of a standard target: named after its verdict or chain (as natgate encodes
    /// it), or unnamed with the verdict's number (as the kernel hands it back). An unnamed one with
    /// a jump offset cannot be named without libiptc and is refused.
    ///
    /// - Throws: `KernelError` (`.malformedEntry`) for an entry whose sizes do not add up, or that
    ///   jumps by offset.
    package func rules(table: TableName, chain: ChainName, codecs: KernelCodecRegistry = .standard) throws(KernelError) -> [Rule] {
        let layout = EntryLayout.of(family)
        let decoder = EntryDecoder(family: family, codecs: codecs)
        let names = Dictionary(uniqueKeysWithValues: EntryList.verdictLabels.map { ($0.1, String(decoding: $0.0.dropLast(), as: UTF8.self)) })
        var rules: [Rule] = []
        rules.reserveCapacity(count)
        for index in 0..<count {
            var entry = Array(self[index])
            let segments = try EntrySegments(entry, layout: layout)
            var label = segments.target.name
            if segments.target.range.count == EntryLayout.standardTargetSize {
                let at = segments.target.range.lowerBound
                if label.isEmpty {
                    let verdict = Int32(bitPattern: entry.loadU32(at: at + 32))
                    guard let name = names[verdict] else {
                        throw KernelError(
                            .malformedEntry,
                            "Rule \(index + 1) of \(chain) jumps by kernel offset (\(verdict)), which only libiptc can name; read the table with KernelBackend.read instead.",
                            operation: .init(family: family, table: table, chain: chain.rawValue, rulePosition: index + 1))
                    }
                    label = name
                } else if names.values.contains(label)
                            || codecs.targetCodec(kernelName: label, revision: entry[at + 31], family: family) == nil {
                    // A verdict or a jump as natgate encodes it: unnamed, as the decoder expects.
                    for i in 0..<EntryLayout.extensionNameSize { entry[at + 2 + i] = 0 }
                }
            }
            rules.append(try decoder.decode(entry, targetLabel: label, table: table, chain: chain.rawValue))
        }
        return rules
    }

    func loadU16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
}

extension EntryList {
    /// Whether any entry has packet or byte counters other than zero.
    package var hasCounters: Bool {
        (0..<count).contains { counters($0) != .zero }
    }

    /// Sets every entry's counters to zero.
    package mutating func clearCounters() {
        let offset = EntryLayout.of(family).counters
        for start in starts {
            for i in 0..<16 { bytes[start + offset + i] = 0 }
        }
    }
}
