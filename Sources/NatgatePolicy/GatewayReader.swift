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
    /// A rule natgate does not own jumps into an owned chain.
    case foreignJump(Family, TableName, from: ChainName, to: ChainName)
    /// An owned chain holds other rules than its gateways compile to.
    case chainDiffers(Family, TableName, ChainName, expected: [Rule], actual: [Rule])
    /// The rules read back describe gateways that could not be enabled together (overlapping subnets…).
    case conflict(Family, String)

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
        case .foreignJump(let family, let table, let from, let to):
            "\(family) \(table): chain \(from) (not natgate's) jumps to \(to)."
        case .chainDiffers(let family, let table, let chain, let expected, let actual):
            "\(family) \(table): \(chain) holds \(actual.count) rules where its gateways compile to \(expected.count) that differ."
        case .conflict(let family, let message):
            "\(family): \(message)"
        }
    }
}

/// What natgate finds in one family's tables: its gateways, their rules, and any drift.
public struct GatewayReadback: Hashable, Sendable {
    public var family: Family
    /// The gateways the owned chains describe, sorted.
    public var gateways: [Gateway]
    /// Each gateway's rules as the kernel holds them (with counters), by table.
    public var rules: [Gateway.Key: [TableName: [Rule]]]
    /// Differences from what the gateways compile to; empty when the tables are as natgate left them.
    public var drift: [Drift]

    /// Whether natgate owns anything in these tables.
    public var isEmpty: Bool { gateways.isEmpty && drift.isEmpty }
}

extension GatewayCompiler {
    /// Reads natgate's gateways back from one family's filter and nat tables, and checks that the
    /// tables hold exactly what those gateways compile to.
    ///
    /// Each rule of an owned chain names its gateway in its comment; a gateway's options are
    /// recovered from its rules (`-i` of the outbound rule is `via`, a conntrack match on the inbound
    /// ACCEPT is `inbound: established`, RETURN rules are exclusions, the NAT target gives SNAT, ports and
    /// `--random-fully`). The recovered set is then compiled again and compared with the chains, so
    /// any rule that was changed, removed or added by hand shows up as `Drift.chainDiffers`.
    ///
    /// - Parameters:
    ///   - filter: the family's filter table, or nil when it could not be read or does not exist.
    ///   - nat: the family's nat table, likewise.
    ///   - comparingChains: false skips the rule-by-rule comparison behind `Drift.chainDiffers`,
    ///     for callers that rewrite the chains anyway and need only the gateways.
    public func read(family: Family, filter: Table?, nat: Table?, comparingChains: Bool = true) -> GatewayReadback {
        var drift: [Drift] = []
        var grouped: [Gateway.Key: [TableName: [Rule]]] = [:]
        var order: [Gateway.Key] = []
        let tables = [(TableName.filter, filter), (.nat, nat)]
        var present: [TableName: Bool] = [:]

        for case let (name, table?) in tables {
            let owned = OwnedChains.owned(in: name)!
            let hook = OwnedChains.hook(in: name)!
            guard let chain = table.chain(named: owned) else {
                present[name] = false
                continue
            }
            present[name] = true
            var keys: [String: Gateway.Key?] = [:]  // a gateway's rules share their comment
            for rule in chain.rules {
                let comment = GatewayCompiler.comment(rule)
                let key: Gateway.Key?
                if let comment, let known = keys[comment] {
                    key = known
                } else if let comment, let guess = GatewayCompiler.likelyKey(rule, table: name), OwnedChains.tag(guess) == comment {
                    // Printing the key the rule's own fields suggest is cheaper than parsing the comment.
                    key = guess
                    keys[comment] = key
                } else {
                    key = comment.flatMap(OwnedChains.key(fromTag:))
                    if let comment { keys[comment] = key }
                }
                guard let key, key.subnet.family == family else {
                    drift.append(.foreignRule(family, name, owned, rule: rule.description))
                    continue
                }
                if grouped[key] == nil { order.append(key) }
                grouped[key, default: [:]][name, default: []].append(rule)
            }
            let jumps = table.chain(named: hook)?.rules.indices.filter { table.chain(named: hook)!.rules[$0].target?.chain == owned } ?? []
            switch jumps.count {
            case 0: drift.append(.missingJump(family, name, owned))
            case 1 where jumps[0] != 0: drift.append(.jumpNotFirst(family, name, owned, position: jumps[0] + 1))
            case 1: break
            default: drift.append(.duplicatedJump(family, name, owned, count: jumps.count))
            }
            for (from, _) in table.references(to: owned) where from != hook {
                drift.append(.foreignJump(family, name, from: from, to: owned))
            }
        }

        var gateways: [Gateway] = []
        for key in order {
            let rules = grouped[key]!
            if let gateway = GatewayCompiler.recover(key, filter: rules[.filter] ?? [], nat: rules[.nat] ?? []) {
                gateways.append(gateway)
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
        for case let (name, table?) in tables where comparingChains {
            let owned = OwnedChains.owned(in: name)!
            guard let chain = table.chain(named: owned) else { continue }
            let expected = rules(for: set, family: family, table: name)
            let actual = chain.rules.map(\.withoutCounters)
            if actual != expected {
                drift.append(.chainDiffers(family, name, owned, expected: expected, actual: actual))
            }
        }
        return GatewayReadback(family: family, gateways: set.gateways, rules: grouped, drift: drift)
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
