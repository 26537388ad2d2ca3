import NatgateModel

/// Entries encoded once for placeholder values, then copied with other values written in: how
/// natgate makes the entries of thousands of gateways that differ only in their subnet, uplink,
/// via and tag without encoding a rule for each.
///
/// A template is made from entries encoded for a prototype with distinctive placeholder values
/// (`Placeholders`); it notes which fields of which entries hold them. Those are the only bytes a
/// copy changes, and it changes them through named values (`Values`), never raw offsets:
///
/// - the subnet: a source or destination address and its mask equal to the placeholder's;
/// - the uplink and the via: an in or out interface name equal to the placeholder's, with its mask;
/// - the tag: the text of each entry's `comment` match (every entry must have one).
///
/// Where the placeholders landed is checked when the template is made (each field lies inside its
/// entry), and every copy has the template's sizes, so filling cannot write outside the entries.
/// A template says nothing about whether its copies are the right rules: the caller checks that
/// once per template against the encoder (as `GatewayEntries` does).
package struct EntryTemplate: Sendable {
    /// The values the prototype's entries were encoded with.
    package struct Placeholders: Sendable {
        package var subnet: IPNetwork
        package var uplink: InterfaceName
        package var via: InterfaceName

        package init(subnet: IPNetwork, uplink: InterfaceName, via: InterfaceName) {
            self.subnet = subnet
            self.uplink = uplink
            self.via = via
        }
    }

    /// The values one copy gets. The via is written only where the template has the via
    /// placeholder; nil leaves those fields as they are.
    package struct Values: Sendable {
        package var subnet: IPNetwork
        package var uplink: EntryInterface
        package var via: EntryInterface?

        package init(subnet: IPNetwork, uplink: EntryInterface, via: EntryInterface?) {
            self.subnet = subnet
            self.uplink = uplink
            self.via = via
        }
    }

    /// An address and its mask, or an interface name and its mask: two offsets in `entries`.
    private struct Field: Sendable {
        var value: Int
        var mask: Int
    }

    /// The prototype's entries.
    package let entries: EntryList
    private let subnets: [Field]
    private let uplinks: [Field]
    private let vias: [Field]
    /// Where each entry's comment text starts (`struct xt_comment_info`, `commentSize` bytes).
    private let comments: [Int]

    /// The size of a comment match's text field, its NUL included (`XT_MAX_COMMENT_LEN`).
    package static let commentSize = 256

    /// A template of `entries`, with the fields that hold `placeholders` as its placeholders; nil
    /// when an entry has no `comment` match of `commentSize` bytes (there would be no tag to write).
    package init?(_ entries: EntryList, placeholders: Placeholders) {
        let layout = EntryLayout.of(entries.family)
        let subnet = EntryTemplate.networkBytes(placeholders.subnet)
        let uplink = EntryInterface(placeholders.uplink)
        let via = EntryInterface(placeholders.via)
        var subnets: [Field] = []
        var uplinks: [Field] = []
        var vias: [Field] = []
        var comments: [Int] = []
        for index in 0..<entries.count {
            let entry = entries.range(index)
            guard entry.count >= layout.headerSize else { return nil }
            let start = entry.lowerBound
            func holds(_ at: Int, _ bytes: [UInt8]) -> Bool { entries.bytes[(start + at)..<(start + at + bytes.count)].elementsEqual(bytes) }
            if holds(layout.source, subnet.address), holds(layout.sourceMask, subnet.mask) {
                subnets.append(Field(value: start + layout.source, mask: start + layout.sourceMask))
            } else if holds(layout.destination, subnet.address), holds(layout.destinationMask, subnet.mask) {
                subnets.append(Field(value: start + layout.destination, mask: start + layout.destinationMask))
            }
            for (at, mask) in [(layout.inInterface, layout.inInterfaceMask), (layout.outInterface, layout.outInterfaceMask)] {
                let field = Field(value: start + at, mask: start + mask)
                let found = entries.interface(index, name: at, mask: mask)
                if found == uplink { uplinks.append(field) }
                if found == via { vias.append(field) }
            }
            guard let comment = entries.payload(ofMatch: "comment", in: index), comment.count == EntryTemplate.commentSize,
                  comment.upperBound <= entry.upperBound
            else { return nil }
            comments.append(comment.lowerBound)
        }
        self.entries = entries
        self.subnets = subnets
        self.uplinks = uplinks
        self.vias = vias
        self.comments = comments
    }

    /// How many entries each copy has.
    package var count: Int { entries.count }

    /// Appends a copy of the entries with `values` and `tag` (each entry's comment; at most
    /// `commentSize - 1` bytes) written in.
    package func append(_ values: Values, tag: [UInt8], to list: inout EntryList) {
        precondition(list.family == entries.family, "EntryTemplate.append: a list of the other family")
        let start = list.bytes.count
        list.append(contentsOf: entries, 0..<entries.count)
        write(values, tag: tag, into: &list.bytes, at: start)
    }

    /// Writes `values` and `tag` into `list`, which holds a copy of the entries (filled before or
    /// not): reusing one list for many values costs no copy.
    package func fill(_ list: inout EntryList, _ values: Values, tag: [UInt8]) {
        precondition(list.family == entries.family && list.bytes.count == entries.bytes.count && list.starts == entries.starts,
                     "EntryTemplate.fill: the list is not a copy of the template's entries")
        write(values, tag: tag, into: &list.bytes, at: 0)
    }

    private func write(_ values: Values, tag: [UInt8], into bytes: inout [UInt8], at base: Int) {
        precondition(tag.count < EntryTemplate.commentSize, "EntryTemplate: a tag of \(tag.count) bytes does not fit a comment")
        precondition(values.subnet.family == entries.family, "EntryTemplate: a subnet of the other family")
        // Every field lies inside `entries` (checked in `init`), and `bytes` holds a copy of them
        // from `base`: the one check below bounds every store.
        precondition(base >= 0 && base + entries.bytes.count <= bytes.count)
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress! + base
            switch values.subnet {
            case .v4(let network):
                for field in subnets {
                    p.storeBytes(of: network.address.rawValue.bigEndian, toByteOffset: field.value, as: UInt32.self)
                    p.storeBytes(of: network.mask.bigEndian, toByteOffset: field.mask, as: UInt32.self)
                }
            case .v6(let network):
                for field in subnets {
                    p.storeBytes(of: network.address.high.bigEndian, toByteOffset: field.value, as: UInt64.self)
                    p.storeBytes(of: network.address.low.bigEndian, toByteOffset: field.value + 8, as: UInt64.self)
                    p.storeBytes(of: network.mask.high.bigEndian, toByteOffset: field.mask, as: UInt64.self)
                    p.storeBytes(of: network.mask.low.bigEndian, toByteOffset: field.mask + 8, as: UInt64.self)
                }
            }
            for field in uplinks { values.uplink.store(p, name: field.value, mask: field.mask) }
            if let via = values.via {
                for field in vias { via.store(p, name: field.value, mask: field.mask) }
            }
            guard let first = comments.first else { return }
            let comment = p + first
            comment.initializeMemory(as: UInt8.self, repeating: 0, count: EntryTemplate.commentSize)
            tag.withUnsafeBytes { comment.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            for other in comments.dropFirst() {
                (p + other).copyMemory(from: comment, byteCount: EntryTemplate.commentSize)
            }
        }
    }

    private static func networkBytes(_ network: IPNetwork) -> (address: [UInt8], mask: [UInt8]) {
        switch network {
        case .v4(let v4): (v4.address.bytes, IPv4Address(rawValue: v4.mask).bytes)
        case .v6(let v6): (v6.address.bytes, v6.mask.bytes)
        }
    }
}

/// An interface name as an entry holds it: the 16-byte name field and the 16-byte mask iptables
/// sets for it (`InterfaceName.entryMaskLength`), as two little-endian words each (byte `i` in
/// bits `8i`), so that comparing and writing one costs a few word operations.
package struct EntryInterface: Sendable, Hashable {
    private var name: (UInt64, UInt64)
    private var mask: (UInt64, UInt64)

    /// The fields `EntryEncoder` writes for `interface`.
    package init(_ interface: InterfaceName) {
        var words: (UInt64, UInt64) = (0, 0)
        var length = 0
        for byte in interface.rawValue.utf8 {
            if length < 8 { words.0 |= UInt64(byte) << (8 * length) } else { words.1 |= UInt64(byte) << (8 * (length - 8)) }
            length += 1
        }
        name = words
        let maskLength = interface.entryMaskLength
        func ones(_ count: Int) -> UInt64 { count <= 0 ? 0 : count >= 8 ? .max : (1 << (8 * UInt64(count))) - 1 }
        mask = (ones(maskLength), ones(maskLength - 8))
    }

    /// The fields `EntryEncoder` writes for the interface named by `bytes`, a name
    /// `InterfaceName` takes as it is (1 to 15 bytes, `+` only last).
    package init<C: Collection>(bytes: C) where C.Element == UInt8 {
        var words: (UInt64, UInt64) = (0, 0)
        var length = 0
        var last: UInt8 = 0
        for byte in bytes {
            if length < 8 { words.0 |= UInt64(byte) << (8 * length) } else { words.1 |= UInt64(byte) << (8 * (length - 8)) }
            length += 1
            last = byte
        }
        name = words
        let maskLength = last == UInt8(ascii: "+") ? length - 1 : length + 1
        func ones(_ count: Int) -> UInt64 { count <= 0 ? 0 : count >= 8 ? .max : (1 << (8 * UInt64(count))) - 1 }
        mask = (ones(maskLength), ones(maskLength - 8))
    }

    fileprivate init(name: (UInt64, UInt64), mask: (UInt64, UInt64)) {
        self.name = name
        self.mask = mask
    }

    /// Whether the name field is empty (the rule matches any interface).
    package var isEmpty: Bool { name.0 & 0xFF == 0 }

    /// The interface these fields name, when they are exactly what the encoder writes for a valid
    /// name; nil when empty or anything else.
    package var interfaceName: InterfaceName? {
        guard !isEmpty else { return nil }
        var bytes: [UInt8] = []
        for i in 0..<16 {
            let byte = UInt8(truncatingIfNeeded: (i < 8 ? name.0 : name.1) >> (8 * UInt64(i % 8)))
            if byte == 0 { break }
            bytes.append(byte)
        }
        guard bytes.count < 16, let interface = try? InterfaceName(String(decoding: bytes, as: UTF8.self)),
              EntryInterface(interface) == self
        else { return nil }
        return interface
    }

    package func store(_ p: UnsafeMutableRawPointer, name nameOffset: Int, mask maskOffset: Int) {
        p.storeBytes(of: name.0.littleEndian, toByteOffset: nameOffset, as: UInt64.self)
        p.storeBytes(of: name.1.littleEndian, toByteOffset: nameOffset + 8, as: UInt64.self)
        p.storeBytes(of: mask.0.littleEndian, toByteOffset: maskOffset, as: UInt64.self)
        p.storeBytes(of: mask.1.littleEndian, toByteOffset: maskOffset + 8, as: UInt64.self)
    }

    package static func == (a: EntryInterface, b: EntryInterface) -> Bool {
        a.name == b.name && a.mask == b.mask
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(name.0)
        hasher.combine(name.1)
        hasher.combine(mask.0)
        hasher.combine(mask.1)
    }
}

/// The `-s`, `-i` and `-o` of an entry, for reading natgate's own entries back cheaply.
extension EntryList {
    /// The source network of entry `index` (`-s`); nil when it matches any source.
    package func sourceNetwork(_ index: Int) -> IPNetwork? {
        let layout = EntryLayout.of(family)
        let entry = range(index)
        guard entry.count >= layout.headerSize else { return nil }
        return bytes.withUnsafeBytes { raw -> IPNetwork? in
            let p = raw.baseAddress! + entry.lowerBound
            switch family {
            case .ipv4:
                let value = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: layout.source, as: UInt32.self))
                let mask = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: layout.sourceMask, as: UInt32.self))
                guard mask != 0 else { return nil }
                return .v4(IPv4Network(masking: IPv4Address(rawValue: value), mask: mask))
            case .ipv6:
                func load(_ at: Int) -> IPv6Address {
                    IPv6Address(high: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)),
                                low: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)))
                }
                let mask = load(layout.sourceMask)
                guard mask.high != 0 || mask.low != 0 else { return nil }
                return .v6(IPv6Network(masking: load(layout.source), mask: mask))
            }
        }
    }

    /// The in interface (`-i`) of entry `index`, its name and mask fields.
    package func inInterface(_ index: Int) -> EntryInterface {
        let layout = EntryLayout.of(family)
        return interface(index, name: layout.inInterface, mask: layout.inInterfaceMask)
    }

    /// The out interface (`-o`) of entry `index`, its name and mask fields.
    package func outInterface(_ index: Int) -> EntryInterface {
        let layout = EntryLayout.of(family)
        return interface(index, name: layout.outInterface, mask: layout.outInterfaceMask)
    }

    /// How many leading bytes of each entry say what the rule matches in the IP header (addresses,
    /// interfaces, protocol, flags, `nfcache`): those before `target_offset`.
    package var ipHeaderMatchSize: Int { EntryLayout.of(family).targetOffset }

    fileprivate func interface(_ index: Int, name: Int, mask: Int) -> EntryInterface {
        let entry = range(index)
        precondition(entry.count >= EntryLayout.of(family).headerSize, "EntryList: entry \(index) is shorter than its header")
        return bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + entry.lowerBound
            func words(_ at: Int) -> (UInt64, UInt64) {
                (UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)),
                 UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)))
            }
            return EntryInterface(name: words(name), mask: words(mask))
        }
    }
}
