import NatgateModel

/// Something in the kernel's tables that differs from what natgate's own chains say it should be.
public enum Drift: Hashable, Sendable, CustomStringConvertible {
    /// The owned chain exists but the built-in chain does not jump to it: its gateways do nothing.
    case missingJump(Family, TableName, ChainName)
    /// The built-in chain jumps to the owned chain more than once.
    case duplicatedJump(Family, TableName, ChainName, count: Int)
    /// The jump is there but not at the top of the built-in chain: rules above it may decide first.
    case jumpNotFirst(Family, TableName, ChainName, position: Int)
    /// One table has gateways and the other has no owned chain at all.
    case missingChain(Family, TableName, ChainName)
    /// A rule in an owned chain carries no natgate tag, or one naming no valid gateway.
    case foreignRule(Family, TableName, ChainName, rule: String)
    /// A rule natgate does not own jumps into an owned chain. natgate never removes a rule it does
    /// not own, so it stays (and keeps the owned chain from being deleted) until someone runs
    /// `remove`, the command that deletes it.
    case foreignJump(Family, TableName, from: ChainName, to: ChainName, remove: String)
    /// The rules left of a gateway do not say its whole definition (tags that disagree or were
    /// edited, an earlier natgate's short tag in one table only): natgate leaves them as they
    /// are, and only `apply` of the policy (or `enable`/`disable` of that gateway) sets it.
    case undetermined(Family, gateway: String, reason: String)
    /// Gateways whose rules carry an earlier natgate's short tags; the next change rewrites them.
    case legacyTags(Family, gateways: Int)
    /// An owned chain holds other rules than its gateways compile to.
    case chainDiffers(Family, TableName, ChainName, expected: [Rule], actual: [Rule])
    /// The rules read back describe gateways that could not be enabled together (overlapping subnets…).
    case conflict(Family, String)
    /// A `natgate-*` ip set differs from what the gateways need: missing, of another type or
    /// family, members added or removed by hand, or a set no gateway's shape needs.
    case setDiffers(Family, set: String, reason: String)

    public var description: String {
        switch self {
        case .missingJump(let family, let table, let chain):
            "\(family) \(table): \(chain) exists but \(OwnedChains.hook(in: table)?.rawValue ?? "?") does not jump to it."
        case .duplicatedJump(let family, let table, let chain, let count):
            "\(family) \(table): \(OwnedChains.hook(in: table)?.rawValue ?? "?") jumps to \(chain) \(count) times."
        case .jumpNotFirst(let family, let table, let chain, let position):
            "\(family) \(table): the jump to \(chain) is rule \(position) of \(OwnedChains.hook(in: table)?.rawValue ?? "?"), not the first."
        case .missingChain(let family, let table, let chain):
            "\(family) \(table): \(chain) is missing while the other table has gateways."
        case .foreignRule(let family, let table, let chain, let rule):
            "\(family) \(table): \(chain) holds a rule that is not natgate's: \(rule)"
        case .foreignJump(let family, let table, let from, let to, let remove):
            "\(family) \(table): chain \(from) (not natgate's) jumps to \(to). natgate never removes a rule it does not own, so it leaves this one, and cannot delete \(to) while it is there (flush and the last disable refuse); to remove it, run `\(remove)`."
        case .undetermined(let family, let gateway, let reason):
            "\(family): the rules left of gateway \(gateway) do not say its whole definition (\(reason)); natgate leaves them as they are and will not guess: run `natgate apply` with your policy (or `natgate enable` with the gateway's options) to set it."
        case .legacyTags(let family, let count):
            "\(family): \(count) gateway\(count == 1 ? "" : "s") carry the short tags of an earlier natgate; the next enable, disable or apply rewrites them with whole-gateway tags."
        case .chainDiffers(let family, let table, let chain, let expected, let actual):
            "\(family) \(table): \(chain) holds \(actual.count) rules where its gateways compile to \(expected.count) that differ."
        case .conflict(let family, let message):
            "\(family): \(message)"
        case .setDiffers(let family, let set, let reason):
            "\(family): ip set \(set) \(reason)"
        }
    }
}

/// A rule natgate leaves where it is because it does not say its whole gateway.
public struct KeptRule: Hashable, Sendable {
    /// The rule, without counters.
    public var rule: Rule
    /// The gateway its tag names, when it names one.
    public var key: Gateway.Key?
    /// The gateway of the nearest known rule above it, nil when none is: it stays after that
    /// gateway's rules (gateways come in key order), so it keeps its place among them.
    public var anchor: Gateway.Key?
}

/// What natgate finds in one family's tables: its gateways, their rules, and any drift.
public struct GatewayReadback: Hashable, Sendable {
    /// The family of the tables read.
    public var family: Family
    /// The gateways the owned chains describe, sorted.
    public var gateways: [Gateway]
    /// Each gateway's rules as the kernel holds them (with counters), by table.
    public var rules: [Gateway.Key: [TableName: [Rule]]]
    /// Differences from what the gateways compile to; empty when the tables are as natgate left them.
    public var drift: [Drift]
    /// Rules in the owned chains that natgate keeps as they are because they do not determine a
    /// gateway (`Drift.undetermined`), by table, in chain order.
    public var kept: [TableName: [KeptRule]] = [:]

    /// The rules of each shape (`GatewayShape`) the chains hold, with counters.
    public var shapeRules: [GatewayShape: [Rule]] = [:]

    /// Whether natgate owns anything in these tables.
    public var isEmpty: Bool { gateways.isEmpty && drift.isEmpty }

    /// The rules that serve `gateway`, by table: its own, or those of its two shapes (shared with
    /// every gateway of the shape, counters included) when it is a set member.
    public func rules(of gateway: Gateway) -> [TableName: [Rule]] {
        if let own = rules[gateway.key] { return own }
        return [.filter: shapeRules[GatewayShape(filterOf: gateway)] ?? [], .nat: shapeRules[GatewayShape(natOf: gateway)] ?? []]
    }
}

extension GatewayCompiler {
    /// Reads natgate's gateways back from one family's filter and nat tables, and checks that the
    /// tables hold exactly what those gateways compile to.
    ///
    /// Each rule of an owned chain carries its whole gateway in its comment (`OwnedChains.tag`):
    /// a gateway is known when all its rules, in both tables, carry the same tag, even when some
    /// of its rules are gone or were changed (the next change restores them). Rules of an earlier
    /// natgate (`OwnedChains.legacyTag`: subnet and uplink only) are known when both tables still
    /// hold exactly what the gateway recovered from them compiles to. Any other natgate-tagged
    /// rule (tags of one gateway that disagree, an edited tag, a short tag in one table only)
    /// determines no gateway: it is reported as `Drift.undetermined` and kept in `kept`, and
    /// changes leave it where it is. The known set is then compiled again and compared with the
    /// chains, so any rule that was changed, removed or added by hand shows up as
    /// `Drift.chainDiffers`.
    ///
    /// - Parameters:
    ///   - family: the family of the tables.
    ///   - filter: the family's filter table, or nil when it could not be read or does not exist.
    ///   - nat: the family's nat table, likewise.
    ///   - comparingChains: false skips the rule-by-rule comparison behind `Drift.chainDiffers`,
    ///     for callers that rewrite the chains anyway and need only the gateways.
    ///   - sets: the namespace's `natgate-*` ip sets, by name (sets of the other family are
    ///     ignored): gateways of the shape rules (`GatewayShape`) are their members. A gateway is
    ///     known when its subnet and uplink are in exactly one filter set and one nat set of shapes
    ///     whose rules are there (and its subnet in the via set of a `--via` shape); any other
    ///     member, and any set that differs from what the known gateways need, is drift
    ///     (`Drift.setDiffers`), which the next change repairs.
    public func read(family: Family, filter: Table?, nat: Table?, sets: [String: IPSetContents] = [:], comparingChains: Bool = true) -> GatewayReadback {
        var drift: [Drift] = []
        var grouped: [Gateway.Key: [TableName: [Rule]]] = [:]
        var tagsByKey: [Gateway.Key: [String]] = [:]
        var order: [Gateway.Key] = []
        let tables = [(TableName.filter, filter), (.nat, nat)]
        var present: [TableName: Bool] = [:]
        /// Each owned chain's rules with what their comments say: a key, or nil (natgate-tagged but
        /// naming no gateway), or not natgate's at all.
        var owners: [TableName: [(rule: Rule, natgate: Bool, key: Gateway.Key?, shape: Bool)]] = [:]
        // The shapes whose rules are in the chains, and those rules.
        var shapes: [TableName: [GatewayShape]] = [:]
        var shapeRules: [GatewayShape: [Rule]] = [:]
        var parsed: [String: OwnedChains.Tag?] = [:]  // a gateway's rules share their comment

        for case let (name, table?) in tables {
            let owned = OwnedChains.owned(in: name)!
            let hook = OwnedChains.hook(in: name)!
            guard let chain = table.chain(named: owned) else {
                present[name] = false
                continue
            }
            present[name] = true
            for rule in chain.rules {
                let comment = GatewayCompiler.comment(rule)
                if let comment, GatewayShape.isShapeComment(comment) {
                    if let shape = GatewayShape(comment: comment), shape.family == family, shape.table == name {
                        if shapeRules[shape] == nil { shapes[name, default: []].append(shape) }
                        shapeRules[shape, default: []].append(rule)
                        owners[name, default: []].append((rule, true, nil, true))
                    } else {
                        drift.append(.foreignRule(family, name, owned, rule: rule.description))
                        owners[name, default: []].append((rule, false, nil, false))
                    }
                    continue
                }
                var tag: OwnedChains.Tag?
                if let comment {
                    if let known = parsed[comment] {
                        tag = known
                    } else {
                        tag = OwnedChains.parseTag(comment)
                        parsed[comment] = tag
                    }
                }
                guard let comment, let tag, tag.key.map({ $0.subnet.family == family }) ?? true else {
                    drift.append(.foreignRule(family, name, owned, rule: rule.description))
                    owners[name, default: []].append((rule, false, nil, false))
                    continue
                }
                owners[name, default: []].append((rule, true, tag.key, false))
                guard let key = tag.key else { continue }
                if grouped[key] == nil { order.append(key) }
                grouped[key, default: [:]][name, default: []].append(rule)
                if !(tagsByKey[key]?.contains(comment) ?? false) { tagsByKey[key, default: []].append(comment) }
            }
            let jumps = table.chain(named: hook)?.rules.indices.filter { table.chain(named: hook)!.rules[$0].target?.chain == owned } ?? []
            switch jumps.count {
            case 0: drift.append(.missingJump(family, name, owned))
            case 1 where jumps[0] != 0: drift.append(.jumpNotFirst(family, name, owned, position: jumps[0] + 1))
            case 1: break
            default: drift.append(.duplicatedJump(family, name, owned, count: jumps.count))
            }
            for (from, index) in table.references(to: owned) where from != hook {
                let remove = OwnedChains.deleteCommand(table.chain(named: from)!.rules[index], family: family, table: name, chain: from, variant: iptablesVariant)
                drift.append(.foreignJump(family, name, from: from, to: owned, remove: remove))
            }
        }

        // Which gateways the rules determine.
        var gateways: [Gateway] = []
        var legacy: Set<Gateway.Key> = []
        var undetermined: Set<Gateway.Key> = []
        for key in order {
            let rules = grouped[key]!
            let tags = tagsByKey[key]!
            var reason: String?
            // The tag was parsed above, once per distinct comment.
            switch tags.count == 1 ? (parsed[tags[0]] ?? OwnedChains.parseTag(tags[0])) : nil {
            case .gateway(let gateway)?:
                gateways.append(gateway)
            case .compact(_, let comment)?:
                let exclusions = (rules[.nat] ?? []).compactMap { rule -> IPNetwork? in
                    guard case .verdict(.return) = rule.target else { return nil }
                    return rule.destination?.value
                }
                if let gateway = OwnedChains.gateway(comment, excluding: exclusions) {
                    gateways.append(gateway)
                } else {
                    reason = "its tag gives its exclusions only as a count and digest, and its RETURN rules in nat no longer list them"
                }
            case .legacy?:
                let filterRules = (rules[.filter] ?? []).map(\.withoutCounters)
                let natRules = (rules[.nat] ?? []).map(\.withoutCounters)
                if filterRules.isEmpty || natRules.isEmpty {
                    reason = "its rules carry the short tag of an earlier natgate, which names only the subnet and uplink, and are left in the \(filterRules.isEmpty ? "nat" : "filter") table only"
                } else if let gateway = GatewayCompiler.recover(key, filter: filterRules, nat: natRules),
                    legacyRules(for: gateway, table: .filter) == filterRules, legacyRules(for: gateway, table: .nat) == natRules
                {
                    gateways.append(gateway)
                    legacy.insert(key)
                } else {
                    reason = "its rules carry the short tag of an earlier natgate, which names only the subnet and uplink, and are not all intact"
                }
            case .unreadable?:
                reason = "its tag `\(tags[0])` is not one natgate writes: edited by hand?"
            case nil:
                reason = "its rules carry \(tags.count) different tags: " + tags.map { "`\($0)`" }.joined(separator: ", ")
            }
            if let reason {
                undetermined.insert(key)
                drift.append(.undetermined(family, gateway: key.description, reason: reason))
            }
        }
        let fromSets = GatewayCompiler.gateways(family: family, shapes: shapes, sets: sets)
        gateways += fromSets.gateways
        drift += fromSets.drift
        let unkeyed = owners.values.joined().filter { $0.natgate && $0.key == nil && !$0.shape }
        for tag in Set(unkeyed.compactMap { GatewayCompiler.comment($0.rule) }).sorted() {
            drift.append(.undetermined(family, gateway: "`\(tag)`", reason: "its tag names no subnet and uplink natgate can read"))
        }
        if !legacy.isEmpty { drift.append(.legacyTags(family, gateways: legacy.count)) }

        // The undetermined rules stay after the known gateway above them.
        var kept: [TableName: [KeptRule]] = [:]
        for (name, rules) in owners {
            var anchor: Gateway.Key?
            for (rule, natgate, key, shape) in rules where !shape {
                if natgate, let key, !undetermined.contains(key) {
                    anchor = key
                } else if natgate {
                    kept[name, default: []].append(KeptRule(rule: rule.withoutCounters, key: key, anchor: anchor))
                }
            }
        }

        let set: GatewaySet
        do {
            set = try GatewaySet(gateways)
        } catch {
            drift.append(.conflict(family, "\(error)"))
            set = (try? GatewaySet(Dictionary(gateways.map { ($0.subnet, $0) }, uniquingKeysWith: { a, _ in a }).values)) ?? GatewaySet()
        }

        if !set.isEmpty {
            for (name, table) in tables where table != nil && present[name] != true {
                drift.append(.missingChain(family, name, OwnedChains.owned(in: name)!))
            }
        }
        // One layout serves the set comparison and the chains' expected rules.
        let layout = comparingChains && datapath == .ipSets ? self.layout(set.gateways(of: family)) : nil
        if comparingChains {
            drift += GatewayCompiler.setDrift(family: family, expected: layout.map { self.setMembers(for: $0, family: family) } ?? [:], actual: sets, shapes: shapes, reported: fromSets.incomplete)
        }
        for case let (name, table?) in tables where comparingChains {
            let owned = OwnedChains.owned(in: name)!
            guard let chain = table.chain(named: owned) else { continue }
            let expected: [Rule]
            if let layout {
                expected = chainRules(for: layout, family: family, table: name, kept: kept[name] ?? [])
            } else {
                let ofFamily = set.gateways(of: family)
                let compiled = rulesOfEach(ofFamily, family: family, table: name)
                expected = GatewayCompiler.merging(
                    zip(ofFamily, compiled).map { legacy.contains($0.key) ? legacyRules(for: $0, table: name) : $1 },
                    keys: ofFamily.map(\.key), kept: kept[name] ?? [])
            }
            // Compared rule by rule; the chain without counters is built only when it differs.
            if !chain.rules.elementsEqual(expected, by: { $0.withoutCounters == $1 }) {
                drift.append(.chainDiffers(family, name, owned, expected: expected, actual: chain.rules.map(\.withoutCounters)))
            }
        }
        return GatewayReadback(family: family, gateways: set.gateways, rules: grouped, drift: drift, kept: kept, shapeRules: shapeRules)
    }

    /// The rules an earlier natgate wrote for `gateway`: today's with the short tag, and without
    /// the DROP that keeps new inbound connections out (which came with the whole-gateway tags).
    func legacyRules(for gateway: Gateway, table: TableName) -> [Rule] {
        let tag = Match(try! CommentMatch(OwnedChains.legacyTag(gateway.key)))
        return rules(for: gateway, table: table).filter { $0.target != .drop }.map { rule in
            var rule = rule
            rule.matches = rule.matches.map { $0.as(CommentMatch.self) == nil ? $0 : tag }
            return rule
        }
    }

    /// Each gateway's rules (`gatewayRules`, in key order `keys`) with the `kept` rules placed
    /// after the gateway they are anchored to: before the first gateway whose key is greater.
    package static func merging(_ gatewayRules: [[Rule]], keys: [Gateway.Key], kept: [KeptRule]) -> [Rule] {
        guard !kept.isEmpty else { return gatewayRules.flatMap { $0 } }
        let sorted = kept.enumerated().sorted { a, b in
            switch (a.element.anchor, b.element.anchor) {
            case (nil, nil): a.offset < b.offset
            case (nil, _): true
            case (_, nil): false
            case let (x?, y?): x != y ? x < y : a.offset < b.offset
            }
        }.map(\.element)
        var result: [Rule] = []
        var k = 0
        for (rules, key) in zip(gatewayRules, keys) {
            while k < sorted.count, sorted[k].anchor.map({ $0 < key }) ?? true {
                result.append(sorted[k].rule)
                k += 1
            }
            result += rules
        }
        result += sorted[k...].map(\.rule)
        return result
    }

    /// The gateway a rule's natgate comment names.
    static func tagKey(_ rule: Rule) -> Gateway.Key? { comment(rule).flatMap(OwnedChains.key(fromTag:)) }

    /// The gateway a natgate rule in `table` belongs to, judging by its addresses and interfaces.
    static func likelyKey(_ rule: Rule, table: TableName) -> Gateway.Key? {
        if let source = rule.source, !source.negated, let out = rule.outInterface, !out.negated {
            return Gateway.Key(subnet: source.value, uplink: out.value)
        }
        if table == .filter, let destination = rule.destination, !destination.negated, let inbound = rule.inInterface, !inbound.negated {
            return Gateway.Key(subnet: destination.value, uplink: inbound.value)
        }
        return nil
    }

    /// The text of a rule's first comment match.
    static func comment(_ rule: Rule) -> String? {
        for match in rule.matches {
            if let comment = match.as(CommentMatch.self) { return comment.comment }
        }
        return nil
    }

    /// Rebuilds a gateway from its rules; nil when they do not describe one that can exist.
    static func recover(_ key: Gateway.Key, filter: [Rule], nat: [Rule]) -> Gateway? {
        var via: InterfaceName?
        var inbound = Gateway.Inbound.established
        if let out = filter.first(where: { $0.source?.value == key.subnet }) {
            via = out.inInterface?.value
        }
        // The reply rule is the inbound ACCEPT; the default's DROP after it carries a conntrack match too.
        if let back = filter.first(where: { $0.destination?.value == key.subnet && $0.target == .accept }) {
            inbound = back.matches.contains { $0.name == "conntrack" } ? .established : .all
        }
        var exclude: [IPNetwork] = []
        var snatTo: IPAddress?
        var ports: PortRange?
        var randomFully = false
        for rule in nat {
            switch rule.target {
            case .verdict(.return):
                if let destination = rule.destination?.value { exclude.append(destination) }
            case .extension(let target):
                let words = GatewayCompiler.words(of: target, family: key.subnet.family)
                if words.contains("--random-fully") { randomFully = true }
                if target.name == "SNAT", let index = words.firstIndex(of: "--to-source"), index + 1 < words.count {
                    let (address, range) = GatewayCompiler.splitSource(words[index + 1])
                    snatTo = address
                    if let range { ports = range }
                }
                if target.name == "MASQUERADE", let index = words.firstIndex(of: "--to-ports"), index + 1 < words.count {
                    ports = try? PortRange(words[index + 1], separator: "-")
                }
            default:
                break
            }
        }
        return try? Gateway(
            subnet: key.subnet, uplink: key.uplink, via: via, inbound: inbound, exclude: exclude,
            snatTo: snatTo, ports: ports, randomFully: randomFully)
    }

    /// A target's option words as iptables-save prints them.
    static func words(of target: Target, family: Family) -> [String] {
        var writer = SaveWriter()
        target.base.save(to: &writer, context: ExtensionContext(family: family, table: .nat, chain: OwnedChains.postrouting))
        return writer.text.split(separator: " ").map(String.init)
    }

    /// `192.0.2.1:1024-65535`, `[fd00::1]:1024-65535`, `192.0.2.1` or `fd00::1` → address and ports.
    static func splitSource(_ text: String) -> (IPAddress?, PortRange?) {
        var addressText = Substring(text)
        var portText: Substring?
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            addressText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { portText = rest.dropFirst() }
        } else if !text.contains("::"), text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            addressText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if let dash = addressText.firstIndex(of: "-") { addressText = addressText[..<dash] }
        let address = try? IPAddress(String(addressText))
        let ports = portText.flatMap { try? PortRange(String($0), separator: "-") }
        return (address, ports)
    }
}
