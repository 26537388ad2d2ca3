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
/// A shape's templates (`EntryTemplate`, one per table) are built once, by compiling and encoding a
/// prototype gateway of the shape with placeholder subnet, uplink and via; each gateway is then a
/// copy of them with its own values and tag written in. This value is the cache of those templates
/// by shape.
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
    private let compiler = GatewayCompiler()
    private var templates: [ShapeTemplate] = []
    private var shapeIndex: [Shape: Int] = [:]
    /// Template indices, the most recently used first, tried in turn when reading back.
    private var recent: [Int] = []
    /// Interface names already validated when reading back, by their fields.
    private var interfaceNames: [EntryInterface: InterfaceName] = [:]
    /// The last two interface names read back, as gateways mostly share an uplink and a via.
    private var lastInterfaces: ((key: EntryInterface, name: InterfaceName)?, (key: EntryInterface, name: InterfaceName)?) = (nil, nil)
    /// The last uplink made into fields, as gateways mostly share one.
    private var lastUplink: (name: InterfaceName, field: EntryInterface)?
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
        self.scratch = Scratch(family: family)
        self.useTemplates = templates
    }

    /// False makes every shape model only (tests).
    private let useTemplates: Bool

    /// Whether the template of `gateway`'s shape failed its check, so that its gateways are
    /// encoded through the model path. Builds the template if needed. For tests and diagnostics.
    package mutating func isModelOnly(_ gateway: Gateway) throws -> Bool {
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
        var tag: [UInt8] = []
        try append(index, values: values(gateway), table: table, to: &list, tag: &tag) { gateway }
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
        var part: EntryTemplate?
        // One buffer for every gateway's tag.
        var tag: [UInt8] = []
        tag.reserveCapacity(EntryTemplate.commentSize)
        for gateway in gateways where gateway.family == family {
            if template == nil || !template!.fits(gateway) {
                let next = templates[try templateIndex(for: gateway)]
                template = next
                part = next.table(table)
                if list.isEmpty {
                    // Exact when all gateways share the shape (the common case); grows otherwise.
                    list.reserveCapacity(entries: part!.entries.count * gateways.count, bytes: part!.entries.bytes.count * gateways.count)
                }
            }
            if template!.modelOnly {
                try appendModel(gateway, table: table, to: &list)
                continue
            }
            let values = values(gateway)
            TagWriter.write(values, suffix: template!.tagSuffix, compact: template!.compactTagSuffix, to: &tag)
            part!.append(values.fields, tag: tag, to: &list)
        }
        return list
    }

    /// Appends the entries of template `index` for `values`; `gateway` gives the whole gateway
    /// when the template is model only.
    private func append(_ index: Int, values: Values, table: TableName, to list: inout EntryList, tag: inout [UInt8], gateway: () -> Gateway?) throws {
        let template = templates[index]
        if template.modelOnly {
            try appendModel(gateway(), table: table, to: &list)
            return
        }
        TagWriter.write(values, suffix: template.tagSuffix, compact: template.compactTagSuffix, to: &tag)
        template.table(table).append(values.fields, tag: tag, to: &list)
    }

    /// The model path: compile, then encode each rule.
    private func appendModel(_ gateway: Gateway?, table: TableName, to list: inout EntryList) throws {
        guard let gateway, let chain = OwnedChains.owned(in: table) else { return }
        for rule in compiler.rules(for: gateway, table: table) {
            try list.append(encoding: rule, table: table, chain: chain)
        }
    }

    private mutating func values(_ gateway: Gateway) -> Values {
        values(subnet: gateway.subnet, uplink: gateway.uplink, via: gateway.via)
    }

    private mutating func values(subnet: IPNetwork, uplink: InterfaceName, via: InterfaceName?) -> Values {
        let field: EntryInterface
        if let last = lastUplink, last.name == uplink {
            field = last.field
        } else {
            field = EntryInterface(uplink)
            lastUplink = (uplink, field)
        }
        return Values(subnet: subnet, uplink: uplink, via: via, uplinkField: field)
    }

    // MARK: Templates

    private mutating func templateIndex(for gateway: Gateway) throws -> Int {
        if let last = recent.first, templates[last].fits(gateway) { return last }
        let shape = Shape(gateway)
        if let index = shapeIndex[shape] {
            touch(index)
            return index
        }
        let template = try ShapeTemplate(shape: shape, family: family, compiler: compiler, check: gateway, use: useTemplates)
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
        gatewaySet(filter: filter, nat: nat)?.gateways
    }

    /// `gateways(filter:nat:)` as the set they form.
    package mutating func gatewaySet(filter: EntryList, nat: EntryList) -> GatewaySet? {
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
        // In the set's order (so no subnet twice) and without conflicts: the policy's own check.
        guard let set = try? GatewaySet(gateways), set.gateways == gateways else { return nil }
        return set
    }

    /// The gateway at filter entry `f` and nat entry `n` from the recent shapes, with how many
    /// entries of each table it has; nil when no recent shape gives exactly those entries.
    private mutating func guess(filter: EntryList, _ f: Int, nat: EntryList, _ n: Int, scratch: inout Scratch) -> (Gateway, Int, Int)? {
        guard let subnet = filter.sourceNetwork(f), let uplink = interfaceName(filter.outInterface(f)) else { return nil }
        let viaField = filter.inInterface(f)
        let via = interfaceName(viaField)
        let hasVia = !viaField.isEmpty
        guard !hasVia || via != nil else { return nil }
        let values = values(subnet: subnet, uplink: uplink, via: via)
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
            TagWriter.write(values, suffix: template.tagSuffix, compact: template.compactTagSuffix, to: &scratch.tag)
            part.fill(&scratch.lists[slot], values.fields, tag: scratch.tag)
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

    /// The interface `field` names; nil when empty or not a valid name.
    private mutating func interfaceName(_ field: EntryInterface) -> InterfaceName? {
        guard !field.isEmpty else { return nil }
        if let last = lastInterfaces.0, last.key == field { return last.name }
        if let last = lastInterfaces.1, last.key == field { return last.name }
        if let known = interfaceNames[field] {
            lastInterfaces = ((field, known), lastInterfaces.0)
            return known
        }
        guard let name = field.interfaceName else { return nil }
        if interfaceNames.count > 1024 { interfaceNames.removeAll() }
        interfaceNames[field] = name
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
    var tag: [UInt8] = []

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

/// A gateway's subnet, uplink and via: as names for its tag, and as the template's values.
struct Values {
    var subnet: IPNetwork
    var uplink: InterfaceName
    var via: InterfaceName?
    var uplinkField: EntryInterface

    var fields: EntryTemplate.Values {
        EntryTemplate.Values(subnet: subnet, uplink: uplinkField, via: via.map(EntryInterface.init))
    }
}

/// The entries of one shape in both tables, and whether they are used at all.
private final class ShapeTemplate: Sendable {
    let shape: Shape
    let filter: EntryTemplate
    let nat: EntryTemplate
    /// The check failed: encode this shape's gateways through the model path.
    let modelOnly: Bool
    /// The end of the shape's tags: its options after `--via` (` --inbound all --exclude …`),
    /// and the same with the exclusions as a digest, for tags too long otherwise.
    let tagSuffix: [UInt8]
    let compactTagSuffix: [UInt8]

    func table(_ name: TableName) -> EntryTemplate { name == .filter ? filter : nat }

    /// Whether `gateway` has this template's shape.
    func fits(_ gateway: Gateway) -> Bool { shape.fits(gateway) }

    /// Placeholders, chosen from documentation ranges; any distinct values would do.
    static func placeholders(_ family: Family) -> EntryTemplate.Placeholders {
        let subnet = family == .ipv4 ? "198.51.100.128/27" : "2001:db8:ffff:fffe::/63"
        return EntryTemplate.Placeholders(subnet: try! IPNetwork(subnet), uplink: InterfaceName(valid: "ngtemplateup0"), via: InterfaceName(valid: "ngtemplatevia0"))
    }

    /// A second gateway of the shape, with other values of other lengths, for the check.
    static func probe(_ family: Family) -> EntryTemplate.Placeholders {
        let subnet = family == .ipv4 ? "203.0.113.7/32" : "2001:db8:1:2:3:4:5:0/113"
        return EntryTemplate.Placeholders(subnet: try! IPNetwork(subnet), uplink: InterfaceName(valid: "p+"), via: InterfaceName(valid: "abcdefghijklmn+"))
    }

    /// Builds and checks the templates of `shape`; `check` is a gateway of that shape.
    init(shape: Shape, family: Family, compiler: GatewayCompiler, check: Gateway, use: Bool = true) throws {
        self.shape = shape
        let placeholder = ShapeTemplate.placeholders(family)
        let prototype = shape.gateway(subnet: placeholder.subnet, uplink: placeholder.uplink, via: shape.hasVia ? placeholder.via : nil)
        // The tag's words after the subnet, uplink and via are the same for the whole shape.
        (tagSuffix, compactTagSuffix) = TagWriter.suffixes(shape.gateway(subnet: placeholder.subnet, uplink: placeholder.uplink, via: nil))
        func modelEntries(_ gateway: Gateway?, _ table: TableName) throws -> EntryList {
            var list = EntryList(family: family)
            guard let gateway else { return list }
            for rule in compiler.rules(for: gateway, table: table) {
                try list.append(encoding: rule, table: table, chain: OwnedChains.owned(in: table)!)
            }
            return list
        }
        let filterEntries = try modelEntries(prototype, .filter)
        let natEntries = try modelEntries(prototype, .nat)
        let templates = (EntryTemplate(filterEntries, placeholders: placeholder), EntryTemplate(natEntries, placeholders: placeholder))
        // A template that is not used (its shape is model only) holds no placeholder.
        let unused = EntryTemplate.Placeholders(subnet: placeholder.subnet, uplink: placeholder.uplink, via: placeholder.via)
        filter = templates.0 ?? EntryTemplate(EntryList(family: family), placeholders: unused)!
        nat = templates.1 ?? EntryTemplate(EntryList(family: family), placeholders: unused)!
        var usable = prototype != nil && use && templates.0 != nil && templates.1 != nil
        if usable {
            // Each template, filled for the gateway that needed it and for a made-up one of other
            // values, must give exactly the encoder's bytes; else the shape is model only.
            let probe = ShapeTemplate.probe(family)
            let probeGateway = shape.gateway(subnet: probe.subnet, uplink: probe.uplink, via: shape.hasVia ? probe.via : nil)
            var tag: [UInt8] = []
            checking: for gateway in [check, probeGateway].compactMap({ $0 }) {
                let values = Values(subnet: gateway.subnet, uplink: gateway.uplink, via: gateway.via, uplinkField: EntryInterface(gateway.uplink))
                TagWriter.write(values, suffix: tagSuffix, compact: compactTagSuffix, to: &tag)
                for (table, part) in [(TableName.filter, filter), (.nat, nat)] {
                    var patched = EntryList(family: family)
                    part.append(values.fields, tag: tag, to: &patched)
                    if patched != (try modelEntries(gateway, table)) {
                        usable = false
                        break checking
                    }
                }
            }
        }
        modelOnly = !usable
    }
}

/// Writes `OwnedChains.tag(gateway)` (`natgate enable 10.200.1.0/24 eth0 --via v-eth1 …`)
/// without making a string: the prefix, the subnet (the model's address writer and the prefix
/// length for prefix-length networks, its description otherwise), the uplink, `--via` and the
/// via, then the shape's words.
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

    /// Makes `tag` the tag of `values`: with `suffix` when that fits in a comment, else with
    /// `compact`. A tag that would not fit either way (no gateway has one: `Gateway.init` refuses
    /// it) is left empty, so it matches no rule.
    static func write(_ values: Values, suffix full: [UInt8], compact: [UInt8], to tag: inout [UInt8]) {
        tag.removeAll(keepingCapacity: true)
        tag.append(contentsOf: prefix)
        switch values.subnet {
        case .v4(let network) where network.prefixLength != nil:
            network.address.appendText(to: &tag)
            tag.append(UInt8(ascii: "/"))
            decimal(network.prefixLength!, to: &tag)
        case .v6(let network) where network.prefixLength != nil:
            network.address.appendText(to: &tag)
            tag.append(UInt8(ascii: "/"))
            decimal(network.prefixLength!, to: &tag)
        default:
            tag.append(contentsOf: values.subnet.description.utf8)
        }
        var uplink = values.uplink.rawValue
        var via = values.via?.rawValue
        let words = tag.count + 1 + uplink.utf8.count + (via.map { viaWord.count + $0.utf8.count } ?? 0)
        let suffix = words + full.count <= OwnedChains.tagLimit ? full : compact
        guard words + suffix.count <= OwnedChains.tagLimit else {
            tag.removeAll(keepingCapacity: true)
            return
        }
        tag.append(UInt8(ascii: " "))
        uplink.withUTF8 { tag.append(contentsOf: $0) }
        if via != nil {
            tag.append(contentsOf: viaWord)
            via!.withUTF8 { tag.append(contentsOf: $0) }
        }
        tag.append(contentsOf: suffix)
    }

    /// Appends `value` (0...128) in decimal.
    private static func decimal(_ value: Int, to tag: inout [UInt8]) {
        if value >= 100 { tag.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { tag.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        tag.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// The tag `write` makes for `gateway`, as a string (tests).
    static func tag(_ gateway: Gateway) -> String {
        let (suffix, compact) = suffixes(try? Gateway(
            subnet: gateway.subnet, uplink: gateway.uplink, inbound: gateway.inbound, exclude: gateway.exclude,
            snatTo: gateway.snatTo, ports: gateway.ports, randomFully: gateway.randomFully))
        var tag: [UInt8] = []
        write(Values(subnet: gateway.subnet, uplink: gateway.uplink, via: gateway.via, uplinkField: EntryInterface(gateway.uplink)),
              suffix: suffix, compact: compact, to: &tag)
        return String(decoding: tag, as: UTF8.self)
    }
}
