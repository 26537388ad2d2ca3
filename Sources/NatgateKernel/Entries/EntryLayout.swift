import CIPTC
import NatgateModel

// struct ipt_entry (112 bytes)                    struct ip6t_entry (168 bytes)
//   struct ipt_ip ip;                               struct ip6t_ip6 ipv6;
//     in_addr src, dst, smsk, dmsk    0..16           in6_addr src, dst, smsk, dmsk   0..64
//     char iniface[16], outiface[16]  16, 32          char iniface[16], outiface[16]  64, 80
//     u8 iniface_mask[16], outiface.. 48, 64          u8 iniface_mask[16], out..      96, 112
//     u16 proto                       80              u16 proto                       128
//                                                     u8 tos                          130
//     u8 flags, invflags              82, 83          u8 flags, invflags              131, 132
//   unsigned int nfcache              84            unsigned int nfcache              136
//   u16 target_offset, next_offset    88, 90        u16 target_offset, next_offset    140, 142
//   unsigned int comefrom             92            unsigned int comefrom             144
//   struct xt_counters counters       96            struct xt_counters counters       152
//   then the matches, then the target, each:
//   struct xt_entry_match / xt_entry_target (32-byte header)
//     u16 size (header + payload, padded to 8)  0
//     char name[29]                              2
//     u8 revision                                31
//     payload                                    32

/// Where the fields of an entry's fixed part lie, per family. Offsets come from the C structs
/// libiptc's headers declare, so they are those of the machine natgate was built on.
struct EntryLayout: Sendable {
    let family: Family
    let headerSize: Int
    let addressSize: Int
    let source: Int
    let destination: Int
    let sourceMask: Int
    let destinationMask: Int
    let inInterface: Int
    let outInterface: Int
    let inInterfaceMask: Int
    let outInterfaceMask: Int
    let proto: Int
    let flags: Int
    let invertFlags: Int
    let targetOffset: Int
    let nextOffset: Int
    let comefrom: Int
    let counters: Int
    /// `IPT_F_GOTO` (0x02) or `IP6T_F_GOTO` (0x04).
    let gotoFlag: UInt8
    /// `IP6T_F_PROTO` (0x01), which ip6tables-legacy sets whenever `-p` is given; 0 for IPv4.
    let protoFlag: UInt8
    /// `IPT_F_FRAG` (0x01) for IPv4; 0 for IPv6, which has no `-f`.
    let fragmentFlag: UInt8

    static let ipv4 = EntryLayout(
        family: .ipv4,
        headerSize: MemoryLayout<ipt_entry>.size,
        addressSize: 4,
        source: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.src)!,
        destination: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.dst)!,
        sourceMask: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.smsk)!,
        destinationMask: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.dmsk)!,
        inInterface: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.iniface)!,
        outInterface: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.outiface)!,
        inInterfaceMask: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.iniface_mask)!,
        outInterfaceMask: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.outiface_mask)!,
        proto: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.proto)!,
        flags: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.flags)!,
        invertFlags: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.ip.invflags)!,
        targetOffset: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.target_offset)!,
        nextOffset: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.next_offset)!,
        comefrom: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.comefrom)!,
        counters: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.counters)!,
        gotoFlag: UInt8(IPT_F_GOTO),
        protoFlag: 0,
        fragmentFlag: UInt8(IPT_F_FRAG))

    static let ipv6 = EntryLayout(
        family: .ipv6,
        headerSize: MemoryLayout<ip6t_entry>.size,
        addressSize: 16,
        source: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.src)!,
        destination: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.dst)!,
        sourceMask: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.smsk)!,
        destinationMask: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.dmsk)!,
        inInterface: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.iniface)!,
        outInterface: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.outiface)!,
        inInterfaceMask: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.iniface_mask)!,
        outInterfaceMask: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.outiface_mask)!,
        proto: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.proto)!,
        flags: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.flags)!,
        invertFlags: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.ipv6.invflags)!,
        targetOffset: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.target_offset)!,
        nextOffset: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.next_offset)!,
        comefrom: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.comefrom)!,
        counters: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.counters)!,
        gotoFlag: UInt8(IP6T_F_GOTO),
        protoFlag: UInt8(IP6T_F_PROTO),
        fragmentFlag: 0)

    static func of(_ family: Family) -> EntryLayout { family == .ipv4 ? .ipv4 : .ipv6 }

    // Invert flags: the same values for both families.
    static let invertIn: UInt8 = 0x01
    static let invertOut: UInt8 = 0x02
    static let invertSource: UInt8 = 0x08
    static let invertDestination: UInt8 = 0x10
    static let invertFragment: UInt8 = 0x20
    static let invertProto: UInt8 = 0x40

    /// `sizeof(struct xt_entry_match)` and `sizeof(struct xt_entry_target)`.
    static let extensionHeaderSize = 32
    /// `XT_EXTENSION_MAXNAMELEN`: the name field of a match or target header, NUL included.
    static let extensionNameSize = 29
    /// `XT_ALIGN`: 8 on x86_64 (the alignment of `u64`).
    static let alignment = MemoryLayout<UInt64>.alignment
    /// The size of a standard target: header plus `int verdict`, padded.
    static let standardTargetSize = extensionHeaderSize + aligned(4)

    static func aligned(_ size: Int) -> Int { (size + alignment - 1) & ~(alignment - 1) }
}

/// One match or target inside an entry, as found in its bytes.
public struct EntryExtension: Sendable, Hashable {
    /// The extension's name (`comment`, `MASQUERADE`); `""` for a standard target.
    public var name: String
    /// The extension's revision.
    public var revision: UInt8
    /// Where the header and payload lie in the entry's bytes.
    public var range: Range<Int>
    /// Where the payload (after the 32-byte header, padding included) lies.
    public var payloadRange: Range<Int> { (range.lowerBound + 32)..<range.upperBound }
}

/// An entry's bytes split at its matches and target.
struct EntrySegments {
    var matches: [EntryExtension]
    var target: EntryExtension

    /// Splits `bytes` (one whole entry), checking every size against the entry's bounds.
    init(_ bytes: [UInt8], layout: EntryLayout) throws(KernelError) {
        func bad(_ what: String) -> KernelError {
            KernelError(.malformedEntry, "The kernel returned an entry natgate cannot read (\(what)); please report this with `natgate debug-entries`.")
        }
        guard bytes.count >= layout.headerSize + EntryLayout.standardTargetSize else { throw bad("entry of \(bytes.count) bytes") }
        let targetOffset = Int(bytes.loadU16(at: layout.targetOffset))
        let nextOffset = Int(bytes.loadU16(at: layout.nextOffset))
        guard targetOffset >= layout.headerSize, nextOffset <= bytes.count, targetOffset + EntryLayout.extensionHeaderSize <= nextOffset else {
            throw bad("target_offset \(targetOffset), next_offset \(nextOffset)")
        }
        var matches: [EntryExtension] = []
        var offset = layout.headerSize
        while offset < targetOffset {
            let size = Int(bytes.loadU16(at: offset))
            guard size >= EntryLayout.extensionHeaderSize, offset + size <= targetOffset else { throw bad("match of size \(size) at \(offset)") }
            matches.append(EntryExtension(name: bytes.cString(at: offset + 2, size: EntryLayout.extensionNameSize),
                                          revision: bytes[offset + 31], range: offset..<(offset + size)))
            offset += size
        }
        let targetSize = Int(bytes.loadU16(at: targetOffset))
        guard targetSize >= EntryLayout.extensionHeaderSize, targetOffset + targetSize <= nextOffset else { throw bad("target of size \(targetSize)") }
        self.matches = matches
        self.target = EntryExtension(name: bytes.cString(at: targetOffset + 2, size: EntryLayout.extensionNameSize),
                                     revision: bytes[targetOffset + 31], range: targetOffset..<(targetOffset + targetSize))
    }
}

extension Array where Element == UInt8 {
    func loadU16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func loadU32(at offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * $1) } }
    func loadU64(at offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * $1) } }
    mutating func storeU16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }
    mutating func storeU64(_ value: UInt64, at offset: Int) {
        for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
    func cString(at offset: Int, size: Int) -> String {
        String(decoding: self[offset..<(offset + size)].prefix { $0 != 0 }, as: UTF8.self)
    }
}
