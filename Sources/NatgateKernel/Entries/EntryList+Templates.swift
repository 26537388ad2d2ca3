import Glibc
import NatgateModel

/// Where the fixed fields of an entry (`ipt_entry` / `ip6t_entry`) lie, for code outside
/// NatgateKernel that builds entries by patching a template rather than encoding a rule.
///
/// Offsets are from the start of an entry; addresses and masks are in network byte order,
/// interface names and masks are `IFNAMSIZ` (16) bytes each. See `EntryLayout` for the structs.
public struct EntryFields: Sendable, Hashable {
    public let family: Family
    /// `sizeof(ipt_entry)` (112) or `sizeof(ip6t_entry)` (168): where the first match starts.
    public let headerSize: Int
    /// 4 or 16.
    public let addressSize: Int
    public let source: Int
    public let destination: Int
    public let sourceMask: Int
    public let destinationMask: Int
    public let inInterface: Int
    public let outInterface: Int
    public let inInterfaceMask: Int
    public let outInterfaceMask: Int
    /// The `u16 target_offset` field.
    public let targetOffset: Int
    /// The `u16 next_offset` field: the entry's size.
    public let nextOffset: Int

    /// `IFNAMSIZ`: the size of an interface name field and of its mask.
    public static let interfaceSize = 16
    /// `sizeof(struct xt_entry_match)`: a match's header, before its payload.
    public static let extensionHeaderSize = EntryLayout.extensionHeaderSize
    /// The name field of a match or target header (`XT_EXTENSION_MAXNAMELEN`), at offset 2.
    public static let extensionNameSize = EntryLayout.extensionNameSize

    /// The offsets for `family`.
    public static func of(_ family: Family) -> EntryFields {
        let layout = EntryLayout.of(family)
        return EntryFields(
            family: family, headerSize: layout.headerSize, addressSize: layout.addressSize,
            source: layout.source, destination: layout.destination,
            sourceMask: layout.sourceMask, destinationMask: layout.destinationMask,
            inInterface: layout.inInterface, outInterface: layout.outInterface,
            inInterfaceMask: layout.inInterfaceMask, outInterfaceMask: layout.outInterfaceMask,
            targetOffset: layout.targetOffset, nextOffset: layout.nextOffset)
    }
}

extension InterfaceName {
    /// How many leading bytes of the kernel's interface mask are 0xFF for this name, as iptables
    /// sets them (`xtables_parse_interface`): the name and its NUL, or for a `+` wildcard only the
    /// bytes before the `+` (which stays in the name). The rest of the 16-byte mask is zero.
    public var entryMaskLength: Int {
        let count = rawValue.utf8.count
        return isWildcard ? count - 1 : count + 1
    }
}

extension EntryList {
    /// Removes every entry.
    public mutating func removeAll(keepingCapacity: Bool = false) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        starts.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Appends entries `indices` of `template`, then lets `body` change the bytes just appended in
    /// place (`body` gets them from the first appended entry's start).
    ///
    /// This is how many entries are made from one template at the cost of a copy: `body` writes
    /// the fields that differ (addresses, interfaces, a comment) and must not change any size.
    public mutating func append<R, E: Error>(
        contentsOf template: EntryList, _ indices: Range<Int>,
        patching body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let start = bytes.count
        append(contentsOf: template, indices)
        var result: Result<R, E>!
        bytes.withUnsafeMutableBytes { raw in
            do throws(E) {
                result = .success(try body(UnsafeMutableRawBufferPointer(rebasing: raw[start...])))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Appends `rule` encoded as `KernelBackend.update` writes it in `chain` of `table`: an
    /// `ipt_entry`/`ip6t_entry` with its matches and target, counters zero, standard targets named
    /// after their verdict or chain (libiptc turns the name into a number when it commits).
    ///
    /// - Throws: `KernelError` (`.refused`) for a rule the encoder cannot write.
    public mutating func append(encoding rule: Rule, table: TableName, chain: ChainName, codecs: KernelCodecRegistry = .standard) throws(KernelError) {
        let entry = try EntryEncoder(family: family, codecs: codecs).encode(rule, table: table, chain: chain)
        append(entry)
    }

    /// Where the payload of the first match called `name` lies in `bytes`, for entry `index`; nil
    /// when the entry has no such match or its match sizes do not add up.
    public func payload(ofMatch name: String, in index: Int) -> Range<Int>? {
        let layout = EntryLayout.of(family)
        let entry = range(index)
        guard entry.count >= layout.headerSize else { return nil }
        let targetOffset = Int(loadU16(entry.lowerBound + layout.targetOffset))
        guard targetOffset <= entry.count else { return nil }
        var offset = layout.headerSize
        var utf8 = name.utf8.makeIterator()
        var nameBytes: [UInt8] = []
        while let byte = utf8.next() { nameBytes.append(byte) }
        guard nameBytes.count < EntryLayout.extensionNameSize else { return nil }
        while offset + EntryLayout.extensionHeaderSize <= targetOffset {
            let at = entry.lowerBound + offset
            let size = Int(loadU16(at))
            guard size >= EntryLayout.extensionHeaderSize, offset + size <= targetOffset else { return nil }
            var same = bytes[at + 2 + nameBytes.count] == 0
            var i = 0
            while same, i < nameBytes.count {
                same = bytes[at + 2 + i] == nameBytes[i]
                i += 1
            }
            if same { return (at + EntryLayout.extensionHeaderSize)..<(at + size) }
            offset += size
        }
        return nil
    }

    /// Makes entry `index` carry its verdict the way entry `other` of `list` does, when they differ
    /// only in that; otherwise leaves it as it is.
    ///
    /// natgate encodes a verdict as a standard target named after it (`ACCEPT`, verdict 0), which
    /// libiptc turns into an unnamed standard target with the verdict's number (`-NF_ACCEPT - 1`)
    /// on its way to the kernel; entries read back from the kernel have that second form. When
    /// entry `index` has the first form and entry `other` the second, entry `index` is rewritten in
    /// the second so that `sameRule(_:as:of:)` can compare the two.
    public mutating func matchVerdictForm(_ index: Int, to other: Int, of list: EntryList) {
        let layout = EntryLayout.of(family)
        let mine = range(index)
        let theirs = list.range(other)
        guard mine.count == theirs.count, mine.count >= layout.headerSize, list.family == family else { return }
        let targetOffset = Int(loadU16(mine.lowerBound + layout.targetOffset))
        guard targetOffset == Int(list.loadU16(theirs.lowerBound + layout.targetOffset)),
              targetOffset + EntryLayout.standardTargetSize == mine.count
        else { return }
        let target = mine.lowerBound + targetOffset
        let theirTarget = theirs.lowerBound + targetOffset
        guard Int(loadU16(target)) == EntryLayout.standardTargetSize,
              Int(list.loadU16(theirTarget)) == EntryLayout.standardTargetSize,
              list.bytes[theirTarget + 2] == 0, bytes[target + 2] != 0
        else { return }
        let name = String(decoding: bytes[(target + 2)..<(target + 2 + EntryLayout.extensionNameSize)].prefix { $0 != 0 }, as: UTF8.self)
        guard let verdict = EntryList.kernelVerdicts[name] else { return }
        for i in 0..<EntryLayout.extensionNameSize { bytes[target + 2 + i] = 0 }
        let value = UInt32(bitPattern: verdict)
        for i in 0..<4 { bytes[target + 32 + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// The numbers the kernel keeps for verdicts (`-NF_DROP - 1`, `-NF_ACCEPT - 1`,
    /// `-NF_QUEUE - 1`, `XT_RETURN`).
    static let kernelVerdicts: [String: Int32] = ["DROP": -1, "ACCEPT": -2, "QUEUE": -4, "RETURN": -5]

    /// The entries as model rules of `chain` in `table`, in order.
    ///
    /// Takes both forms of a standard target: named after its verdict or chain (as natgate encodes
    /// it), or unnamed with the verdict's number (as the kernel hands it back). An unnamed one with
    /// a jump offset cannot be named without libiptc and is refused.
    ///
    /// - Throws: `KernelError` (`.malformedEntry`) for an entry whose sizes do not add up, or that
    ///   jumps by offset.
    public func rules(table: TableName, chain: ChainName, codecs: KernelCodecRegistry = .standard) throws(KernelError) -> [Rule] {
        let layout = EntryLayout.of(family)
        let decoder = EntryDecoder(family: family, codecs: codecs)
        let names = Dictionary(uniqueKeysWithValues: EntryList.kernelVerdicts.map { ($0.value, $0.key) })
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
                } else if EntryList.kernelVerdicts[label] != nil
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
