import NatgateModel

/// One rule's entry exactly as the kernel holds it (through libiptc's snapshot), for inspection
/// and byte-for-byte comparisons: `natgate debug-entries`, and the tests that check natgate's
/// encoder against what `iptables-legacy` writes.
public struct RawEntry: Sendable, Hashable {
    /// The family of the table.
    public var family: Family
    /// The table the entry is in.
    public var table: TableName
    /// The chain the entry is in.
    public var chain: String
    /// 1-based, as `iptables -L --line-numbers` counts.
    public var position: Int
    /// The whole `ipt_entry`/`ip6t_entry`, `next_offset` bytes.
    public var bytes: [UInt8]
    /// What libiptc names the target: a verdict, a chain, an extension, or "" for none.
    public var targetLabel: String
    /// The entry's matches, in order.
    public var matches: [EntryExtension]
    /// The entry's target.
    public var target: EntryExtension

    init(family: Family, table: TableName, chain: String, position: Int, bytes: [UInt8], targetLabel: String) throws(KernelError) {
        let segments = try EntrySegments(bytes, layout: .of(family))
        self.family = family
        self.table = table
        self.chain = chain
        self.position = position
        self.bytes = bytes
        self.targetLabel = targetLabel
        self.matches = segments.matches
        self.target = segments.target
    }

    /// The entry's packet and byte counters.
    public var counters: Counters {
        let layout = EntryLayout.of(family)
        return Counters(packets: bytes.loadU64(at: layout.counters), bytes: bytes.loadU64(at: layout.counters + 8))
    }

    /// The bytes that say what the rule does: the entry with its counters, `comefrom` (kernel
    /// bookkeeping), the bytes after the NUL of each match and target name and, for extensions with a codec, the payload past the codec's
    /// `userspaceSize` (kernel-private state) set to zero. Two rules that are the same rule have
    /// the same comparable bytes, whoever wrote them.
    public func comparableBytes(codecs: KernelCodecRegistry = .standard) -> [UInt8] {
        let layout = EntryLayout.of(family)
        var copy = bytes
        for i in 0..<4 { copy[layout.comefrom + i] = 0 }
        for i in 0..<16 { copy[layout.counters + i] = 0 }
        func clear(_ part: EntryExtension, userspaceSize: Int?) {
            guard let userspaceSize else { return }
            let start = part.payloadRange.lowerBound + userspaceSize
            if start < part.range.upperBound { for i in start..<part.range.upperBound { copy[i] = 0 } }
        }
        // The name fields: only the bytes up to the NUL mean anything (iptables leaves whatever was
        // in its buffer after the NUL of a standard target's empty name).
        for part in matches + [target] {
            let name = (part.range.lowerBound + 2)..<(part.range.lowerBound + 2 + EntryLayout.extensionNameSize)
            if let end = copy[name].firstIndex(of: 0) { for i in end..<name.upperBound { copy[i] = 0 } }
        }
        for match in matches {
            clear(match, userspaceSize: codecs.matchCodec(kernelName: match.name, revision: match.revision, family: family)?.userspaceSize(for: family))
        }
        if !target.name.isEmpty {
            clear(target, userspaceSize: codecs.targetCodec(kernelName: target.name, revision: target.revision, family: family)?.userspaceSize(for: family))
        }
        return copy
    }

    /// A readable dump: a title line, then the header, each match and the target, 16 bytes a
    /// line in 4-byte groups, with offsets from the start of the entry.
    public var hexDump: String {
        let layout = EntryLayout.of(family)
        var lines = ["\(table) \(chain) #\(position): \(bytes.count) bytes, target \(targetLabel.isEmpty ? "(none)" : targetLabel)"]
        lines.append("  entry header (\(layout.headerSize) bytes; comefrom at \(layout.comefrom), counters at \(layout.counters)):")
        lines += RawEntry.hexLines(bytes, 0..<layout.headerSize)
        for match in matches {
            lines.append("  match \(match.name) revision \(match.revision), \(match.range.count) bytes at \(match.range.lowerBound):")
            lines += RawEntry.hexLines(bytes, match.range)
        }
        let name = target.name.isEmpty ? "standard" : target.name
        lines.append("  target \(name) revision \(target.revision), \(target.range.count) bytes at \(target.range.lowerBound):")
        lines += RawEntry.hexLines(bytes, target.range)
        return lines.joined(separator: "\n")
    }

    static func hexLines(_ bytes: [UInt8], _ range: Range<Int>) -> [String] {
        stride(from: range.lowerBound, to: range.upperBound, by: 16).map { start in
            let end = Swift.min(start + 16, range.upperBound)
            var text = "    " + String(start, radix: 16).leftPadded(to: 4) + ":"
            for group in stride(from: start, to: end, by: 4) {
                text += " " + bytes[group..<Swift.min(group + 4, end)].map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            }
            return text
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
