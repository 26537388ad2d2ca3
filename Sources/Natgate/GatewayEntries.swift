import Glibc
import NatgateKernel
import NatgateModel
import NatgatePolicy

/// natgate's owned chains of one family as kernel entries, made from gateways and read back into
/// gateways without a model `Rule` per gateway.
///
/// The entries are byte for byte those of the model path: `GatewayCompiler.rules(for:table:)`
/// encoded by `EntryList.append(encoding:table:chain:)`. They are made from templates instead:
/// gateways with the same options other than subnet, uplink and via (the same *shape*: family,
/// via given or not, inbound, exclusions, SNAT address, ports, `--random-fully`) have the same
/// entries but for the subnet's address and mask, the interface names and masks, and the comment
/// (the gateway's tag, `OwnedChains.tag`: its words after the via are the shape's, kept per template).
/// A shape's template is built once, by compiling and encoding a prototype gateway of the shape
/// with placeholder subnet, uplink and via, and noting where the placeholders landed. Each gateway
/// is then a copy of the template with those fields written.
///
/// Safety: when a shape's template is built, it is checked once against the model path: the
/// template is patched for the gateway that needed it (and for a second, made-up gateway of the
/// shape with other values) and compared byte for byte with what the model path encodes for that
/// gateway. A shape whose template fails the check is *model only*: its gateways are always
/// encoded through the model path (correct, slower). So the template can only ever be a faster
/// way to the same bytes, never other bytes.
///
/// A value caches its templates, so keep one per family and reuse it. It is not thread-safe to
/// share one mutable value; copies are independent.
public struct GatewayEntries: Sendable {
    /// The family of every gateway and entry list this value handles.
    public let family: Family
    private let fields: EntryFields
    private let compiler = GatewayCompiler()
    private var templates: [ShapeTemplate] = []
    private var shapeIndex: [Shape: Int] = [:]
    /// Template indices, the most recently used first, tried in turn when reading back.
    private var recent: [Int] = []
    /// Interface names already validated when reading back, by their 16 name bytes.
    private var interfaceNames: [InterfaceBytes.Name: InterfaceName] = [:]
    /// The last two interface names read back, as gateways mostly share an uplink and a via.
    private var lastInterfaces: ((key: InterfaceBytes.Name, name: InterfaceName)?, (key: InterfaceBytes.Name, name: InterfaceName)?) = (nil, nil)
    /// The last uplink made into bytes, as gateways mostly share one.
    private var lastUplink: (name: InterfaceName, bytes: InterfaceBytes)?
    /// Entries made while reading back, to compare with the chain's.
    private var scratch: Scratch

    /// How many recent shapes reading back tries before decoding a gateway's rules.
    static let recentLimit = 16

    /// An empty cache for `family`.
    public init(family: Family) {
        self.init(family: family, templates: true)
    }

    /// With `templates` false every shape is model only: for tests of that path.
    init(family: Family, templates: Bool) {
        self.family = family
        self.fields = EntryFields.of(family)
        self.scratch = Scratch(family: family)
        self.useTemplates = templates
    }

    /// False makes every shape model only (tests).
    private let useTemplates: Bool

    /// Whether the template of `gateway`'s shape failed its check, so that its gateways are
    /// encoded through the model path. Builds the template if needed. For tests and diagnostics.
    public mutating func isModelOnly(_ gateway: Gateway) throws -> Bool {
        templates[try templateIndex(for: gateway)].modelOnly
    }

    // MARK: Gateways to entries

    /// Appends the entries of `gateway`'s rules in `table` to `list`: exactly those of
    /// `GatewayCompiler().rules(for: gateway, table: table)`, each encoded for
    /// `OwnedChains.owned(in: table)`. Nothing for a table natgate does not write.
    ///
    /// - Throws: `NatgateError` (`.invalidInput`) when the gateway or the list is of the other
    ///   family; `KernelError` if the encoder refuses one of the rules (a bug).
    public mutating func append(_ gateway: Gateway, table: TableName, to list: inout EntryList) throws {
        guard gateway.family == family, list.family == family else {
            throw NatgateError(
                .invalidInput,
                "Gateway \(gateway.key) is \(gateway.family), but these entries are \(list.family == family ? family : list.family); use the GatewayEntries and entry list of the gateway's family.")
        }
        guard table == .filter || table == .nat else { return }
        let index = try templateIndex(for: gateway)
        try append(index, values: values(gateway), table: table, to: &list) { gateway }
    }

    /// The owned chain of `table` for the gateways of this family in `set`, in order: the entries
    /// of `GatewayCompiler().rules(for: set, family: family, table: table)`. Capacity is reserved
    /// up front for as many gateways as the set has, of the first gateway's shape: one allocation
    /// per buffer when they share it.
    public mutating func entries(for set: GatewaySet, table: TableName) throws -> EntryList {
        try entries(for: set.gateways, table: table)
    }

    /// The owned chain of `table` for the gateways of this family in `gateways`, in the order
    /// given, unchecked against each other (a change's interim nat chain holds the gateways
    /// before and after it, which may conflict).
    public mutating func entries(for gateways: [Gateway], table: TableName) throws -> EntryList {
        var list = EntryList(family: family)
        guard table == .filter || table == .nat else { return list }
        // The loop copies each gateway once and otherwise touches locals only: at 10,000
        // gateways, each copy of a gateway, `self` or a template (their strings and arrays) cost
        // about as much as making the gateway's entries.
        var template: ShapeTemplate?
        var part = EntryList(family: family)
        var patcher: TableTemplate?
        let fields = self.fields
        for gateway in gateways where gateway.family == family {
            if template == nil || !template!.fits(gateway) {
                let next = templates[try templateIndex(for: gateway)]
                template = next
                patcher = next.table(table)
                part = patcher!.entries
                if list.isEmpty {
                    // Exact when all gateways share the shape (the common case); grows otherwise.
                    list.reserveCapacity(entries: part.count * gateways.count, bytes: part.bytes.count * gateways.count)
                }
            }
            if template!.modelOnly {
                try appendModel(gateway, table: table, to: &list)
                continue
            }
            let values = values(gateway)
            let patch = patcher!
            list.append(contentsOf: part, 0..<part.count) { buffer in
                patch.patch(buffer.baseAddress!, values: values, fields: fields)
            }
        }
        return list
    }

    /// Appends the entries of template `index` for `values`; `gateway` gives the whole gateway
    /// when the template is model only.
    private func append(_ index: Int, values: Values, table: TableName, to list: inout EntryList, gateway: () -> Gateway?) throws {
        let template = templates[index]
        if template.modelOnly {
            try appendModel(gateway(), table: table, to: &list)
            return
        }
        let part = template.table(table)
        list.append(contentsOf: part.entries, 0..<part.entries.count) { buffer in
            part.patch(buffer.baseAddress!, values: values, fields: fields)
        }
    }

    /// The model path: compile, then encode each rule.
    private func appendModel(_ gateway: Gateway?, table: TableName, to list: inout EntryList) throws {
        guard let gateway, let chain = OwnedChains.owned(in: table) else { return }
        for rule in compiler.rules(for: gateway, table: table) {
            try list.append(encoding: rule, table: table, chain: chain)
        }
    }

    private mutating func values(_ gateway: Gateway) -> Values {
        let uplink: InterfaceBytes
        if let last = lastUplink, last.name == gateway.uplink {
            uplink = last.bytes
        } else {
            uplink = InterfaceBytes(gateway.uplink)
            lastUplink = (gateway.uplink, uplink)
        }
        return Values(subnet: gateway.subnet, uplinkBytes: uplink, viaBytes: gateway.via.map(InterfaceBytes.init))
    }

    // MARK: Templates

    private mutating func templateIndex(for gateway: Gateway) throws -> Int {
        if let last = recent.first, templates[last].fits(gateway) { return last }
        let shape = Shape(gateway)
        if let index = shapeIndex[shape] {
            touch(index)
            return index
        }
        let template = try ShapeTemplate(shape: shape, family: family, fields: fields, compiler: compiler, check: gateway, use: useTemplates)
        templates.append(template)
        shapeIndex[shape] = templates.count - 1
        touch(templates.count - 1)
        return templates.count - 1
    }

    /// Puts template `index` first among the recent ones.
    private mutating func touch(_ index: Int) {
        if recent.first == index { return }
        if let at = recent.firstIndex(of: index) { recent.remove(at: at) }
        recent.insert(index, at: 0)
        if recent.count > GatewayEntries.recentLimit { recent.removeLast() }
    }

    // MARK: Entries to gateways

    /// The gateways whose rules the owned chains hold, in chain order; nil when the chains hold
    /// anything else.
    ///
    /// Non-nil means: `filter` and `nat` are, rule for rule, what `append` makes for these
    /// gateways, in this order, and the gateways form a `GatewaySet` in its order; so
    /// `entries(for: GatewaySet(result), table:)` gives the same rules again. Bytes the kernel
    /// changes on its own are not compared: counters, `comefrom`, what follows each extension
    /// name's NUL, and a verdict carried as a number rather than a name (see `EntryList.sameRule`).
    ///
    /// nil for a foreign rule, a rule without natgate's comment or whose comment is not the whole
    /// gateway (`OwnedChains.tag`: an earlier natgate's short tag, an edited one), a gateway whose rules differ in any other byte or number from what
    /// `append` makes, a gateway in only one table, gateways or rules out of order, or gateways that
    /// conflict. Callers then read the chains through the model (`GatewayCompiler.read`), which
    /// says what drifted.
    ///
    /// Fast path: a gateway's subnet, uplink and via are taken from its first filter rule, and its
    /// rules are made from the recently seen shapes until one gives the chains' bytes. Otherwise
    /// the gateway is read from its comment (`OwnedChains.parseTag`) and its rules are checked
    /// byte for byte the same way.
    public mutating func gateways(filter: EntryList, nat: EntryList) -> [Gateway]? {
        guard filter.family == family, nat.family == family else { return nil }
        // Out of `self` while in use, so that it can be passed inout to methods of `self`.
        var scratch = self.scratch
        self.scratch = Scratch(family: family)
        defer { self.scratch = scratch }
        var gateways: [Gateway] = []
        gateways.reserveCapacity(filter.count / 2)
        var f = 0
        var n = 0
        while f < filter.count || n < nat.count {
            guard f < filter.count, n < nat.count else { return nil }
            if let (gateway, filterCount, natCount) = guess(filter: filter, f, nat: nat, n, scratch: &scratch) {
                gateways.append(gateway)
                f += filterCount
                n += natCount
                continue
            }
            guard let (gateway, filterCount, natCount) = recover(filter: filter, f, nat: nat, n, scratch: &scratch) else { return nil }
            gateways.append(gateway)
            f += filterCount
            n += natCount
        }
        return GatewayEntries.formSet(gateways) ? gateways : nil
    }

    /// Whether `gateways` are a `GatewaySet` in its order: subnets strictly increasing (so no
    /// gateway twice) and not overlapping.
    ///
    /// Linear, without making the set: prefix networks sorted by first address overlap exactly
    /// when one starts before the furthest end seen so far. Other masks go through `GatewaySet`.
    static func formSet(_ gateways: [Gateway]) -> Bool {
        var previous: IPNetwork?
        for gateway in gateways {
            if let previous, !(previous < gateway.subnet) { return false }
            previous = gateway.subnet
        }
        var end: (high: UInt64, low: UInt64)?
        for gateway in gateways {
            let subnet = gateway.subnet
            let start: (high: UInt64, low: UInt64), last: (high: UInt64, low: UInt64)
            switch subnet {
            case .v4(let network):
                guard network.prefixLength != nil else { return (try? GatewaySet(gateways)) != nil }
                start = (0, UInt64(network.address.rawValue))
                last = (0, UInt64(network.address.rawValue | ~network.mask))
            case .v6(let network):
                guard network.prefixLength != nil else { return (try? GatewaySet(gateways)) != nil }
                start = (network.address.high, network.address.low)
                last = (network.address.high | ~network.mask.high, network.address.low | ~network.mask.low)
            }
            if let end, start <= end { return false }
            if end == nil || last > end! { end = last }
        }
        return true
    }

    /// The gateway at filter entry `f` and nat entry `n` from the recent shapes, with how many
    /// entries of each table it has; nil when no recent shape gives exactly those entries.
    private mutating func guess(filter: EntryList, _ f: Int, nat: EntryList, _ n: Int, scratch: inout Scratch) -> (Gateway, Int, Int)? {
        guard let subnet = network(filter, f, at: fields.source, mask: fields.sourceMask),
              let uplink = interfaceName(filter, f, at: fields.outInterface)
        else { return nil }
        let via = interfaceName(filter, f, at: fields.inInterface)
        let hasVia = filter.bytes[filter.starts[f] + fields.inInterface] != 0
        guard !hasVia || via != nil else { return nil }
        let uplinkBytes: InterfaceBytes
        if let last = lastUplink, last.name == uplink {
            uplinkBytes = last.bytes
        } else {
            uplinkBytes = InterfaceBytes(uplink)
            lastUplink = (uplink, uplinkBytes)
        }
        let values = Values(subnet: subnet, uplinkBytes: uplinkBytes, viaBytes: via.map(InterfaceBytes.init))
        for index in recent where templates[index].shape.hasVia == hasVia {
            let shape = templates[index].shape
            let gateway = { shape.gateway(subnet: subnet, uplink: uplink, via: via) }
            guard let filterCount = matches(index, values: values, table: .filter, in: filter, at: f, scratch: &scratch, gateway: gateway),
                  let natCount = matches(index, values: values, table: .nat, in: nat, at: n, scratch: &scratch, gateway: gateway),
                  let gateway = gateway()
            else { continue }
            touch(index)
            return (gateway, filterCount, natCount)
        }
        return nil
    }

    /// How many entries template `index` makes for `values` in `table`, when `list` holds those
    /// from `start`; nil otherwise.
    private func matches(
        _ index: Int, values: Values, table: TableName, in list: EntryList, at start: Int, scratch: inout Scratch, gateway: () -> Gateway?
    ) -> Int? {
        let template = templates[index]
        let slot = table == .filter ? 0 : 1
        if template.modelOnly {
            scratch.lists[slot].removeAll(keepingCapacity: true)
            scratch.templates[slot] = -1
            do { try appendModel(gateway(), table: table, to: &scratch.lists[slot]) } catch { return nil }
        } else {
            // The template's entries stay in the scratch list from one gateway to the next:
            // only the fields that differ are written again.
            let part = template.table(table)
            if scratch.templates[slot] != index {
                scratch.lists[slot] = part.entries
                scratch.templates[slot] = index
            }
            let fields = self.fields
            scratch.lists[slot].withUnsafeMutableBytes { part.patch($0.baseAddress!, values: values, fields: fields) }
        }
        let expected = scratch.lists[slot]
        guard start + expected.count <= list.count else { return nil }
        for k in 0..<expected.count where !expected.sameRule(k, as: start + k, of: list) { return nil }
        // A rule of the same gateway after these is not looked for here: it would start another
        // gateway with the same subnet, which the order check in `gateways` refuses.
        return expected.count
    }

    /// The gateway whose comment filter entry `f` carries, recovered from its rules through the
    /// model and checked against `append`; nil when that fails anywhere.
    private mutating func recover(filter: EntryList, _ f: Int, nat: EntryList, _ n: Int, scratch: inout Scratch) -> (Gateway, Int, Int)? {
        guard let comment = filter.payload(ofMatch: "comment", in: f),
              let natComment = nat.payload(ofMatch: "comment", in: n),
              equal(filter, comment, nat, natComment)
        else { return nil }
        func groupEnd(_ list: EntryList, _ start: Int) -> Int {
            var end = start + 1
            while end < list.count, let other = list.payload(ofMatch: "comment", in: end), equal(list, other, filter, comment) { end += 1 }
            return end
        }
        let filterEnd = groupEnd(filter, f)
        let natEnd = groupEnd(nat, n)
        // The tag is the whole gateway; the template check below compares every byte with it.
        let text = String(decoding: filter.bytes[comment].prefix { $0 != 0 }, as: UTF8.self)
        let gateway: Gateway
        switch OwnedChains.parseTag(text) {
        case .gateway(let whole)?:
            gateway = whole
        case .compact?:
            // The exclusions are the destinations of the gateway's RETURN rules in nat.
            var natPart = EntryList(family: family)
            natPart.append(contentsOf: nat, n..<natEnd)
            guard let natRules = try? natPart.rules(table: .nat, chain: OwnedChains.postrouting),
                let whole = OwnedChains.gateway(text, excluding: natRules.compactMap { rule -> IPNetwork? in
                    guard case .verdict(.return) = rule.target else { return nil }
                    return rule.destination?.value
                })
            else { return nil }
            gateway = whole
        default:
            return nil
        }
        guard gateway.family == family else { return nil }

        guard let index = try? templateIndex(for: gateway) else { return nil }
        let values = values(gateway)
        guard matches(index, values: values, table: .filter, in: filter, at: f, scratch: &scratch, gateway: { gateway }) == filterEnd - f,
              matches(index, values: values, table: .nat, in: nat, at: n, scratch: &scratch, gateway: { gateway }) == natEnd - n
        else { return nil }
        return (gateway, filterEnd - f, natEnd - n)
    }

    /// The network at `address`/`mask` of entry `index`; nil when the field is empty.
    private func network(_ list: EntryList, _ index: Int, at address: Int, mask: Int) -> IPNetwork? {
        let start = list.starts[index]
        return list.bytes.withUnsafeBytes { raw -> IPNetwork? in
            let p = raw.baseAddress! + start
            switch family {
            case .ipv4:
                let value = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: address, as: UInt32.self))
                let maskValue = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: mask, as: UInt32.self))
                guard maskValue != 0 else { return nil }
                return .v4(IPv4Network(masking: IPv4Address(rawValue: value), mask: maskValue))
            case .ipv6:
                func load(_ at: Int) -> IPv6Address {
                    IPv6Address(high: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)),
                                low: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)))
                }
                let maskValue = load(mask)
                guard maskValue.high != 0 || maskValue.low != 0 else { return nil }
                return .v6(IPv6Network(masking: load(address), mask: maskValue))
            }
        }
    }

    /// The interface name at `offset` of entry `index`; nil when empty or not a valid name.
    private mutating func interfaceName(_ list: EntryList, _ index: Int, at offset: Int) -> InterfaceName? {
        let start = list.starts[index] + offset
        let key = list.bytes.withUnsafeBytes { raw in
            InterfaceBytes.Name(first: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self),
                                second: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
        }
        guard key.first & 0xFF != 0 else { return nil }
        if let last = lastInterfaces.0, last.key == key { return last.name }
        if let last = lastInterfaces.1, last.key == key { return last.name }
        if let known = interfaceNames[key] {
            lastInterfaces = ((key, known), lastInterfaces.0)
            return known
        }
        let bytes = list.bytes[start..<(start + EntryFields.interfaceSize)]
        guard bytes.contains(0), let name = try? InterfaceName(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)),
              InterfaceBytes(name).name == key
        else { return nil }
        if interfaceNames.count > 1024 { interfaceNames.removeAll() }
        interfaceNames[key] = name
        return name
    }

    /// Whether `a[ra]` and `b[rb]` hold the same bytes.
    private func equal(_ a: EntryList, _ ra: Range<Int>, _ b: EntryList, _ rb: Range<Int>) -> Bool {
        guard ra.count == rb.count else { return false }
        return a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress! + ra.lowerBound, y.baseAddress! + rb.lowerBound, ra.count) == 0 }
        }
    }
}

// MARK: - Shapes and templates

/// The entries a gateway is expected to have while reading back, per table, and the template
/// they were copied from (-1: none, or made through the model path).
private struct Scratch: Sendable {
    var lists: [EntryList]
    var templates = [-1, -1]

    init(family: Family) { lists = [EntryList(family: family), EntryList(family: family)] }
}

/// Everything about a gateway that its entries depend on, except the subnet, uplink and via.
private struct Shape: Hashable, Sendable {
    var hasVia: Bool
    var inbound: Gateway.Inbound
    var exclude: [IPNetwork]
    var snatTo: IPAddress?
    var ports: PortRange?
    var randomFully: Bool

    init(_ gateway: Gateway) {
        hasVia = gateway.via != nil
        inbound = gateway.inbound
        exclude = gateway.exclude
        snatTo = gateway.snatTo
        ports = gateway.ports
        randomFully = gateway.randomFully
    }

    /// Whether `gateway` has this shape (without making a `Shape`).
    func fits(_ gateway: Gateway) -> Bool {
        hasVia == (gateway.via != nil) && inbound == gateway.inbound && randomFully == gateway.randomFully
            && ports == gateway.ports && snatTo == gateway.snatTo && exclude == gateway.exclude
    }

    /// The gateway of this shape with these subnet, uplink and via.
    func gateway(subnet: IPNetwork, uplink: InterfaceName, via: InterfaceName?) -> Gateway? {
        try? Gateway(subnet: subnet, uplink: uplink, via: via, inbound: inbound, exclude: exclude,
                     snatTo: snatTo, ports: ports, randomFully: randomFully)
    }
}

/// A gateway's subnet, uplink and via, ready to be written into entries (plain bytes: making
/// and passing one retains nothing).
struct Values {
    var subnet: IPNetwork
    var uplinkBytes: InterfaceBytes
    var viaBytes: InterfaceBytes?
}

/// An interface name and its kernel mask as two 16-byte fields (byte `i` in bits `8i` of the
/// little-endian words), as `EntryEncoder` writes them.
struct InterfaceBytes: Sendable {
    struct Name: Hashable, Sendable {
        var first: UInt64
        var second: UInt64
    }
    var name: Name
    var mask: Name
    var length: Int

    init(_ interface: InterfaceName) {
        var words: (UInt64, UInt64) = (0, 0)
        var length = 0
        for byte in interface.rawValue.utf8 {
            if length < 8 { words.0 |= UInt64(byte) << (8 * length) } else { words.1 |= UInt64(byte) << (8 * (length - 8)) }
            length += 1
        }
        name = Name(first: words.0, second: words.1)
        let maskLength = interface.entryMaskLength
        func ones(_ count: Int) -> UInt64 { count <= 0 ? 0 : count >= 8 ? .max : (1 << (8 * UInt64(count))) - 1 }
        mask = Name(first: ones(maskLength), second: ones(maskLength - 8))
        self.length = length
    }

    func store(_ p: UnsafeMutableRawPointer, name nameOffset: Int, mask maskOffset: Int) {
        p.storeBytes(of: name.first.littleEndian, toByteOffset: nameOffset, as: UInt64.self)
        p.storeBytes(of: name.second.littleEndian, toByteOffset: nameOffset + 8, as: UInt64.self)
        p.storeBytes(of: mask.first.littleEndian, toByteOffset: maskOffset, as: UInt64.self)
        p.storeBytes(of: mask.second.littleEndian, toByteOffset: maskOffset + 8, as: UInt64.self)
    }
}

/// The entries of one shape in both tables, and whether they are used at all.
private final class ShapeTemplate: Sendable {
    let shape: Shape
    let filter: TableTemplate
    let nat: TableTemplate
    /// The check failed: encode this shape's gateways through the model path.
    let modelOnly: Bool

    func table(_ name: TableName) -> TableTemplate { name == .filter ? filter : nat }

    /// Whether `gateway` has this template's shape.
    func fits(_ gateway: Gateway) -> Bool { shape.fits(gateway) }

    /// Placeholders, chosen from documentation ranges; any distinct values would do.
    static func placeholders(_ family: Family) -> (subnet: IPNetwork, uplink: InterfaceName, via: InterfaceName) {
        let subnet = family == .ipv4 ? "198.51.100.128/27" : "2001:db8:ffff:fffe::/63"
        return (try! IPNetwork(subnet), InterfaceName(valid: "ngtemplateup0"), InterfaceName(valid: "ngtemplatevia0"))
    }

    /// A second gateway of the shape, with other values of other lengths, for the check.
    static func probe(_ family: Family) -> (subnet: IPNetwork, uplink: InterfaceName, via: InterfaceName) {
        let subnet = family == .ipv4 ? "203.0.113.7/32" : "2001:db8:1:2:3:4:5:0/113"
        return (try! IPNetwork(subnet), InterfaceName(valid: "p+"), InterfaceName(valid: "abcdefghijklmn+"))
    }

    /// Builds and checks the template of `shape`; `check` is a gateway of that shape.
    init(shape: Shape, family: Family, fields: EntryFields, compiler: GatewayCompiler, check: Gateway, use: Bool = true) throws {
        self.shape = shape
        let placeholder = ShapeTemplate.placeholders(family)
        let prototype = shape.gateway(subnet: placeholder.subnet, uplink: placeholder.uplink, via: shape.hasVia ? placeholder.via : nil)
        var tables: [TableTemplate] = []
        var usable = prototype != nil && use
        // The tag's words after the subnet, uplink and via are the same for the whole shape.
        let vialess = shape.gateway(subnet: placeholder.subnet, uplink: placeholder.uplink, via: nil)
        let suffix = TagWriter.suffixes(vialess)
        for table in [TableName.filter, .nat] {
            var list = EntryList(family: family)
            if let prototype {
                for rule in compiler.rules(for: prototype, table: table) {
                    try list.append(encoding: rule, table: table, chain: OwnedChains.owned(in: table)!)
                }
            }
            let template = TableTemplate(list, fields: fields, placeholder: placeholder, tagSuffix: suffix)
            usable = usable && template != nil
            tables.append(template ?? TableTemplate(entries: list))
        }
        filter = tables[0]
        nat = tables[1]
        if usable {
            let probe = ShapeTemplate.probe(family)
            let probeGateway = shape.gateway(subnet: probe.subnet, uplink: probe.uplink, via: shape.hasVia ? probe.via : nil)
            checking: for gateway in [check, probeGateway].compactMap({ $0 }) {
                let values = Values(subnet: gateway.subnet, uplinkBytes: InterfaceBytes(gateway.uplink), viaBytes: gateway.via.map(InterfaceBytes.init))
                for (table, part) in [(TableName.filter, tables[0]), (.nat, tables[1])] {
                    var model = EntryList(family: family)
                    for rule in compiler.rules(for: gateway, table: table) {
                        try model.append(encoding: rule, table: table, chain: OwnedChains.owned(in: table)!)
                    }
                    var patched = EntryList(family: family)
                    patched.append(contentsOf: part.entries, 0..<part.entries.count) { buffer in
                        part.patch(buffer.baseAddress!, values: values, fields: fields)
                    }
                    if patched != model {
                        usable = false
                        break checking
                    }
                }
            }
        }
        modelOnly = !usable
    }
}

/// One table's entries of a shape, and where each gateway's values go in them.
private final class TableTemplate: Sendable {
    struct Field: Sendable {
        var value: Int
        var mask: Int
    }
    let entries: EntryList
    let subnets: [Field]
    let uplinks: [Field]
    let vias: [Field]
    /// Where each entry's comment payload starts (256 bytes, `struct xt_comment_info`).
    let comments: [Int]
    /// The end of the shape's tags: its options after `--via` (` --inbound all --exclude …`),
    /// and the same with the exclusions as a digest, for tags too long otherwise.
    let tagSuffix: [UInt8]
    let compactTagSuffix: [UInt8]

    static let commentSize = 256

    /// A template that is not used (its shape is model only).
    init(entries: EntryList) {
        self.entries = entries
        subnets = []
        uplinks = []
        vias = []
        comments = []
        tagSuffix = []
        compactTagSuffix = []
    }

    /// Finds the placeholders in `entries`; nil when a comment is missing or of another size.
    init?(_ entries: EntryList, fields: EntryFields, placeholder: (subnet: IPNetwork, uplink: InterfaceName, via: InterfaceName), tagSuffix: ([UInt8], [UInt8])) {
        self.entries = entries
        (self.tagSuffix, self.compactTagSuffix) = tagSuffix
        var subnets: [Field] = []
        var uplinks: [Field] = []
        var vias: [Field] = []
        var comments: [Int] = []
        let subnet = TableTemplate.networkBytes(placeholder.subnet)
        let uplink = InterfaceBytes(placeholder.uplink)
        let via = InterfaceBytes(placeholder.via)
        let bytes = entries.bytes
        func read(_ at: Int, _ count: Int) -> [UInt8] { Array(bytes[at..<(at + count)]) }
        func name(_ at: Int) -> InterfaceBytes.Name {
            bytes.withUnsafeBytes {
                InterfaceBytes.Name(first: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self),
                                    second: $0.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            }
        }
        for index in 0..<entries.count {
            let start = entries.starts[index]
            let size = fields.addressSize
            if read(start + fields.source, size) == subnet.address, read(start + fields.sourceMask, size) == subnet.mask {
                subnets.append(Field(value: start + fields.source, mask: start + fields.sourceMask))
            } else if read(start + fields.destination, size) == subnet.address, read(start + fields.destinationMask, size) == subnet.mask {
                subnets.append(Field(value: start + fields.destination, mask: start + fields.destinationMask))
            }
            for (at, mask) in [(fields.inInterface, fields.inInterfaceMask), (fields.outInterface, fields.outInterfaceMask)] {
                let field = Field(value: start + at, mask: start + mask)
                if name(start + at) == uplink.name { uplinks.append(field) }
                if name(start + at) == via.name { vias.append(field) }
            }
            guard let comment = entries.payload(ofMatch: "comment", in: index), comment.count == TableTemplate.commentSize else { return nil }
            comments.append(comment.lowerBound)
        }
        self.subnets = subnets
        self.uplinks = uplinks
        self.vias = vias
        self.comments = comments
    }

    static func networkBytes(_ network: IPNetwork) -> (address: [UInt8], mask: [UInt8]) {
        switch network {
        case .v4(let v4): (v4.address.bytes, IPv4Address(rawValue: v4.mask).bytes)
        case .v6(let v6): (v6.address.bytes, v6.mask.bytes)
        }
    }

    /// Writes `values` into a copy of `entries` at `p`.
    func patch(_ p: UnsafeMutableRawPointer, values: Values, fields: EntryFields) {
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
        for field in uplinks { values.uplinkBytes.store(p, name: field.value, mask: field.mask) }
        if let via = values.viaBytes {
            for field in vias { via.store(p, name: field.value, mask: field.mask) }
        }
        guard let first = comments.first else { return }
        let comment = p + first
        comment.initializeMemory(as: UInt8.self, repeating: 0, count: TableTemplate.commentSize)
        TagWriter.write(values, suffix: tagSuffix, compact: compactTagSuffix, to: comment)
        for other in comments.dropFirst() {
            (p + other).copyMemory(from: comment, byteCount: TableTemplate.commentSize)
        }
    }
}

/// Writes `OwnedChains.tag(gateway)` (`natgate enable 10.200.1.0/24 eth0 --via v-eth1 …`)
/// without making a string: the prefix, the subnet (written directly for prefix-length networks,
/// through its description otherwise), the uplink, `--via` and the via, then the shape's words.
enum TagWriter {
    static let prefix = Array(OwnedChains.gatewayTagPrefix.utf8)
    static let viaWord = Array(" --via ".utf8)

    /// The words of `gateway` (which has no via) after its uplink, in full and with the
    /// exclusions as a digest (`OwnedChains.tag`).
    static func suffixes(_ gateway: Gateway?) -> ([UInt8], [UInt8]) {
        guard let gateway else { return ([], []) }
        func bytes(_ words: [String]) -> [UInt8] { Array(words.map { " " + $0 }.joined().utf8) }
        return (bytes(gateway.optionArguments), bytes(OwnedChains.compactOptionArguments(gateway)))
    }

    /// Writes the tag at `p` (which is zeroed and has room for 256 bytes): with `suffix` when
    /// that fits in a comment, else with `compact`. A tag that would not fit either way (no
    /// gateway has one: `Gateway.init` refuses it) is left empty, so it matches no rule.
    static func write(_ values: Values, suffix full: [UInt8], compact: [UInt8], to p: UnsafeMutableRawPointer) {
        var at = 0
        for byte in prefix { dot(byte, p, &at) }
        switch values.subnet {
        case .v6(let network) where network.prefixLength != nil:
            writeIPv6(network.address, p, &at)
            dot(UInt8(ascii: "/"), p, &at)
            decimal(UInt32(network.prefixLength!), p, &at)
        case .v4(let network) where network.prefixLength != nil:
            dottedQuad(network.address.rawValue, p, &at)
            dot(UInt8(ascii: "/"), p, &at)
            decimal(UInt32(network.prefixLength!), p, &at)
        default:
            for byte in values.subnet.description.utf8 { dot(byte, p, &at) }
        }
        let words = at + 1 + values.uplinkBytes.length + (values.viaBytes.map { viaWord.count + $0.length } ?? 0)
        let suffix = words + full.count <= OwnedChains.tagLimit ? full : compact
        guard words + suffix.count <= OwnedChains.tagLimit else {
            p.initializeMemory(as: UInt8.self, repeating: 0, count: at)
            return
        }
        dot(UInt8(ascii: " "), p, &at)
        writeName(values.uplinkBytes, p, &at)
        if let via = values.viaBytes {
            for byte in viaWord { dot(byte, p, &at) }
            writeName(via, p, &at)
        }
        for byte in suffix { dot(byte, p, &at) }
    }

    /// The name's bytes (without its NUL: the rest of the comment is zero already).
    static func writeName(_ name: InterfaceBytes, _ p: UnsafeMutableRawPointer, _ at: inout Int) {
        for i in 0..<name.length {
            let word = i < 8 ? name.name.first : name.name.second
            dot(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i % 8))), p, &at)
        }
    }

    /// Writes `address` as `IPv6Address.description` does (glibc's `inet_ntop`): the longest run
    /// of two or more zero groups, the first of equals, as `::`; groups in lowercase hex without
    /// leading zeros; the IPv4-compatible and IPv4-mapped forms ending in a dotted quad.
    static func writeIPv6(_ address: IPv6Address, _ p: UnsafeMutableRawPointer, _ at: inout Int) {
        func word(_ i: Int) -> UInt16 {
            i < 4 ? UInt16(truncatingIfNeeded: address.high >> (48 - 16 * i)) : UInt16(truncatingIfNeeded: address.low >> (48 - 16 * (i - 4)))
        }
        var bestBase = -1, bestLength = 0, currentBase = -1, currentLength = 0
        for i in 0..<8 {
            if word(i) == 0 {
                if currentBase == -1 { currentBase = i; currentLength = 1 } else { currentLength += 1 }
            } else if currentBase != -1 {
                if bestBase == -1 || currentLength > bestLength { bestBase = currentBase; bestLength = currentLength }
                currentBase = -1
            }
        }
        if currentBase != -1, bestBase == -1 || currentLength > bestLength { bestBase = currentBase; bestLength = currentLength }
        if bestBase != -1, bestLength < 2 { bestBase = -1 }
        var i = 0
        while i < 8 {
            if bestBase != -1, i >= bestBase, i < bestBase + bestLength {
                if i == bestBase { dot(UInt8(ascii: ":"), p, &at) }
                i += 1
                continue
            }
            if i != 0 { dot(UInt8(ascii: ":"), p, &at) }
            if i == 6, bestBase == 0, bestLength == 6 || (bestLength == 5 && word(5) == 0xFFFF) {
                dottedQuad(UInt32(truncatingIfNeeded: address.low), p, &at)
                return
            }
            let value = word(i)
            var shift = 12
            while shift > 0, value >> UInt16(shift) == 0 { shift -= 4 }
            while shift >= 0 {
                let digit = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
                dot(digit < 10 ? 48 + digit : 87 + digit, p, &at)
                shift -= 4
            }
            i += 1
        }
        if bestBase != -1, bestBase + bestLength == 8 { dot(UInt8(ascii: ":"), p, &at) }
    }

    /// The tag `write` makes for `gateway`, as a string (tests).
    static func tag(_ gateway: Gateway) -> String {
        let (suffix, compact) = suffixes(try? Gateway(
            subnet: gateway.subnet, uplink: gateway.uplink, inbound: gateway.inbound, exclude: gateway.exclude,
            snatTo: gateway.snatTo, ports: gateway.ports, randomFully: gateway.randomFully))
        return withUnsafeTemporaryAllocation(byteCount: 256, alignment: 8) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            let values = Values(subnet: gateway.subnet, uplinkBytes: InterfaceBytes(gateway.uplink), viaBytes: gateway.via.map(InterfaceBytes.init))
            write(values, suffix: suffix, compact: compact, to: buffer.baseAddress!)
            return String(decoding: UnsafeRawBufferPointer(buffer).prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    @inline(__always)
    /// `a.b.c.d`, as IPv4 addresses are written (and the end of `::ffff:a.b.c.d`).
    static func dottedQuad(_ address: UInt32, _ p: UnsafeMutableRawPointer, _ at: inout Int) {
        decimal(address >> 24, p, &at)
        dot(UInt8(ascii: "."), p, &at)
        decimal(address >> 16 & 0xFF, p, &at)
        dot(UInt8(ascii: "."), p, &at)
        decimal(address >> 8 & 0xFF, p, &at)
        dot(UInt8(ascii: "."), p, &at)
        decimal(address & 0xFF, p, &at)
    }

    static func dot(_ byte: UInt8, _ p: UnsafeMutableRawPointer, _ at: inout Int) {
        p.storeBytes(of: byte, toByteOffset: at, as: UInt8.self)
        at += 1
    }

    /// Writes `value` (0...255) in decimal.
    @inline(__always)
    static func decimal(_ value: UInt32, _ p: UnsafeMutableRawPointer, _ at: inout Int) {
        if value >= 100 { dot(UInt8(48 + value / 100), p, &at) }
        if value >= 10 { dot(UInt8(48 + value / 10 % 10), p, &at) }
        dot(UInt8(48 + value % 10), p, &at)
    }
}
