import Glibc
import NatgateModel

/// The rules of one chain as kernel entries (`ipt_entry`/`ip6t_entry` with their matches and
/// target), back to back in one buffer.
///
/// It is how a chain with tens of thousands of rules is read and rewritten without a model `Rule`
/// per rule: `KernelBackend.update(tables:entryChains:_:)` hands natgate's own chains over as
/// entry lists, and compares old and new entries byte for byte. One buffer and one offset per
/// entry keep it to two allocations however long the chain.
public struct EntryList: Sendable, Hashable {
    /// The family of every entry (their layout differs between IPv4 and IPv6).
    public let family: Family
    /// The entries, each `next_offset` bytes long, one after the other.
    public internal(set) var bytes: [UInt8]
    /// Where each entry starts in `bytes`.
    public internal(set) var starts: [Int]

    /// An empty list.
    public init(family: Family) {
        self.family = family
        self.bytes = []
        self.starts = []
    }

    /// How many entries the list holds.
    public var count: Int { starts.count }
    /// Whether the list holds no entry.
    public var isEmpty: Bool { starts.isEmpty }

    /// Where entry `index` lies in `bytes`.
    public func range(_ index: Int) -> Range<Int> {
        starts[index]..<(index + 1 < starts.count ? starts[index + 1] : bytes.count)
    }

    /// The bytes of entry `index`.
    public subscript(index: Int) -> ArraySlice<UInt8> { bytes[range(index)] }

    /// Makes room for `entries` more entries of about `bytes` bytes in all.
    package mutating func reserveCapacity(entries: Int, bytes size: Int) {
        starts.reserveCapacity(starts.count + entries)
        bytes.reserveCapacity(bytes.count + size)
    }

    /// Appends one whole entry.
    ///
    /// - Precondition: `entry` is one entry: its `next_offset` is its length.
    package mutating func append<C: Collection>(_ entry: C) where C.Element == UInt8 {
        let start = bytes.count
        bytes.append(contentsOf: entry)
        precondition(bytes.count - start == Int(nextOffset(at: start)), "EntryList.append: not one whole entry")
        starts.append(start)
    }

    /// Appends entry `index` of `other`.
    package mutating func append(_ index: Int, of other: EntryList) {
        starts.append(bytes.count)
        bytes.append(contentsOf: other.bytes[other.range(index)])
    }

    /// Appends entries of `other`, in order.
    package mutating func append(contentsOf other: EntryList, _ indices: Range<Int>) {
        guard !indices.isEmpty else { return }
        let base = other.starts[indices.lowerBound]
        let end = other.range(indices.upperBound - 1).upperBound
        let shift = bytes.count - base
        for index in indices { starts.append(other.starts[index] + shift) }
        bytes.append(contentsOf: other.bytes[base..<end])
    }

    /// Appends the entry at `pointer` (`next_offset` bytes) out of libiptc's snapshot, its
    /// standard target named again as natgate's encoder names it.
    ///
    /// libiptc keeps every standard target under an empty name, with the verdict's number or the
    /// offset of the chain it jumps to, and would read an entry given back that way as a rule
    /// without target. So a verdict gets its name back (`ACCEPT`) and a jump its chain's name with
    /// the offset cleared: the entry can be inserted again, and compares equal to a fresh encoding.
    mutating func append(copying pointer: UnsafeRawPointer, layout: EntryLayout, targetLabel: String) {
        let size = max(Int(pointer.loadUnaligned(fromByteOffset: layout.nextOffset, as: UInt16.self)), layout.headerSize)
        let start = bytes.count
        starts.append(start)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: size))
        let target = start + Int(pointer.loadUnaligned(fromByteOffset: layout.targetOffset, as: UInt16.self))
        let label = Array(targetLabel.utf8)
        guard target + EntryLayout.standardTargetSize <= bytes.count, bytes[target + 2] == 0,
              !label.isEmpty, label.count < EntryLayout.extensionNameSize else { return }
        // The kernel leaves part of a pointer after the NUL: clear the whole name field.
        for i in 0..<EntryLayout.extensionNameSize { bytes[target + 2 + i] = i < label.count ? label[i] : 0 }
        let isVerdict = EntryList.verdictLabels.contains { $0.0.dropLast().elementsEqual(label) }
        if !isVerdict {
            for i in 0..<4 { bytes[target + EntryLayout.extensionHeaderSize + i] = 0 }
        }
    }

    /// Changes entry `index` in place; `body` must not change its size.
    package mutating func withEntry<R>(_ index: Int, _ body: (inout ArraySlice<UInt8>) throws -> R) rethrows -> R {
        let range = range(index)
        return try body(&bytes[range])
    }

    /// The packet and byte counters of entry `index`.
    package func counters(_ index: Int) -> Counters {
        let at = starts[index] + EntryLayout.of(family).counters
        return Counters(packets: load64(at), bytes: load64(at + 8))
    }

    /// Whether entry `index` and entry `other` of `list` are the same rule: equal bytes, except
    /// the counters, `comefrom` (kernel bookkeeping) and what follows the NUL of each match and
    /// target name (the kernel leaves part of a pointer there when it hands a table out).
    package func sameRule(_ index: Int, as other: Int, of list: EntryList) -> Bool {
        let a = range(index)
        let b = list.range(other)
        guard a.count == b.count, family == list.family else { return false }
        let layout = EntryLayout.of(family)
        return bytes.withUnsafeBytes { x in
            list.bytes.withUnsafeBytes { y in
                let p = x.baseAddress! + a.lowerBound
                let q = y.baseAddress! + b.lowerBound
                guard memcmp(p, q, layout.comefrom) == 0 else { return false }
                let afterCounters = layout.counters + 16
                guard memcmp(p + afterCounters, q + afterCounters, layout.headerSize - afterCounters) == 0 else { return false }
                let targetOffset = Int(p.loadUnaligned(fromByteOffset: layout.targetOffset, as: UInt16.self))
                let size = a.count
                var offset = layout.headerSize
                while offset < size {
                    let partSize = Int(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                    guard partSize >= EntryLayout.extensionHeaderSize, offset + partSize <= size,
                          partSize == Int(q.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                    else { return false }
                    // A verdict is compared as a verdict: natgate writes `ACCEPT` and libiptc
                    // stores an empty name with the number.
                    if offset >= targetOffset, partSize == EntryLayout.standardTargetSize,
                       let x = EntryList.verdict(p + offset), let y = EntryList.verdict(q + offset) {
                        return x == y
                    }
                    // The name up to and including its NUL, then the revision and the payload.
                    var i = 2
                    while i < 2 + EntryLayout.extensionNameSize {
                        let c = p.load(fromByteOffset: offset + i, as: UInt8.self)
                        guard c == q.load(fromByteOffset: offset + i, as: UInt8.self) else { return false }
                        if c == 0 { break }
                        i += 1
                    }
                    guard memcmp(p + offset + 31, q + offset + 31, partSize - 31) == 0 else { return false }
                    if offset >= targetOffset { return offset + partSize <= size }
                    offset += partSize
                }
                return false
            }
        }
    }

    /// The verdict of a standard target (`struct xt_standard_target` at `target`): the number
    /// libiptc stores under an empty name, or the one a verdict's name stands for; nil for a jump
    /// to a chain (whose number is an offset only libiptc knows).
    static func verdict(_ target: UnsafeRawPointer) -> Int32? {
        let name = target + 2
        let number = target.loadUnaligned(fromByteOffset: EntryLayout.extensionHeaderSize, as: Int32.self)
        switch name.load(as: UInt8.self) {
        case 0: return number < 0 ? number : nil
        default:
            for (label, value) in verdictLabels where memcmp(name, label, label.count) == 0 { return value }
            return nil
        }
    }

    /// Each verdict's name with its NUL, and its number (`-NF_ACCEPT - 1`…; RETURN is `XT_RETURN`).
    static let verdictLabels: [([UInt8], Int32)] = [
        (Array("ACCEPT\0".utf8), -2), (Array("DROP\0".utf8), -1), (Array("QUEUE\0".utf8), -4), (Array("RETURN\0".utf8), -5),
    ]

    private func nextOffset(at start: Int) -> UInt16 {
        let at = start + EntryLayout.of(family).nextOffset
        guard at + 1 < bytes.count else { return 0 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private func load64(_ at: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[at + i]) << (8 * i) }
        return value
    }
}
