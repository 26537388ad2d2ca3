import NatgateModel

/// Compiles gateways into the rules of natgate's owned chains.
///
/// The output depends only on the set, never on the order the gateways were given in: a
/// `GatewaySet` is sorted, and each gateway's rules come out in a fixed order. For the default
/// gateway `10.200.1.0/24 eth0` the four rules are, as iptables-save prints them:
///
/// ```
/// *filter
/// -A NATGATE-FORWARD -s 10.200.1.0/24 -o eth0 -m comment --comment "natgate enable 10.200.1.0/24 eth0" -j ACCEPT
/// -A NATGATE-FORWARD -d 10.200.1.0/24 -i eth0 -m comment --comment "natgate enable 10.200.1.0/24 eth0" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
/// -A NATGATE-FORWARD -d 10.200.1.0/24 -i eth0 -m comment --comment "natgate enable 10.200.1.0/24 eth0" -m conntrack ! --ctstate DNAT -j DROP
/// *nat
/// -A NATGATE-POSTROUTING -s 10.200.1.0/24 -o eth0 -m comment --comment "natgate enable 10.200.1.0/24 eth0" -j MASQUERADE
/// ```
///
/// The filter rules let the subnet out, let replies in, and drop every other packet from the
/// uplink to the subnet, so that the outside cannot open connections into the namespace whatever
/// the FORWARD policy. The DROP spares connections whose destination was translated (conntrack's
/// DNAT state): a port forward another tool set up on the host (a DNAT in nat PREROUTING) still
/// reaches the subnet, its first packet falling through to the rules after natgate's chain.
///
/// Every rule's comment is the whole gateway as `natgate enable` words (`OwnedChains.tag`), so
/// that any one surviving rule says what all of the gateway's rules must be.
///
/// Options change them as follows. `via` adds `-i VIA` to the outbound and `-o VIA` to the inbound
/// rules. `inbound: all` forwards everything from the uplink to the subnet: one inbound rule
/// without the conntrack match, and no DROP. Each excluded destination adds a `-d NET -j RETURN`
/// rule before the NAT rule. `snatTo` replaces MASQUERADE with `SNAT --to-source ADDR`. A port range
/// can only be given to NAT for protocols with ports, so `ports` makes three NAT rules: `-p tcp`
/// and `-p udp` with the range, then one without it for every other protocol (ICMP still leaves
/// NATed). `randomFully` adds `--random-fully` to each NAT rule.
public struct GatewayCompiler: Sendable {
    /// The extensions rules are built with: typed where the registry has a type, else kept by name
    /// and option words.
    public var registry: ExtensionRegistry
    /// Whether gateways get rules of their own or share rules by shape, as members of ip sets.
    public var datapath: Datapath
    /// The iptables whose commands natgate's messages name (`iptables-legacy …`, `iptables-nft …`):
    /// `legacy` or `nft`, the backend the rules live in.
    public var iptablesVariant = "legacy"

    /// A compiler whose rules use the extensions of `registry`.
    public init(registry: ExtensionRegistry = .standard, datapath: Datapath = .rules) {
        self.registry = registry
        self.datapath = datapath
    }

    /// The rules of the owned chain of `table` for the gateways of `family` in `set`, in order.
    ///
    /// Empty for a table natgate does not write. With `datapath` `.ipSets`, the rules of the
    /// gateways' shapes, then those of the gateways that keep rules of their own (see
    /// `layout(_:)`); the sets are `sets(for:family:)`.
    public func rules(for set: GatewaySet, family: Family, table: TableName) -> [Rule] {
        if datapath == .ipSets { return chainRules(for: set, family: family, table: table, kept: []) }
        return perGatewayRules(for: set.gateways(of: family), table: table)
    }

    /// Each of `gateways`' own rules in `table`, one gateway after the other.
    func perGatewayRules(for gateways: [Gateway], table: TableName) -> [Rule] {
        guard let family = gateways.first?.family else { return [] }
        let parts = Parts(compiler: self, family: family)
        var rules: [Rule] = []
        for gateway in gateways {
            rules += parts.rules(for: gateway, table: table)
        }
        return rules
    }

    /// The rules of one gateway in `table`, in order.
    public func rules(for gateway: Gateway, table: TableName) -> [Rule] {
        Parts(compiler: self, family: gateway.family).rules(for: gateway, table: table)
    }

    /// `rules(for:table:)` of each gateway (all of `family`), with the matches they share built
    /// once rather than once a gateway.
    func rulesOfEach(_ gateways: [Gateway], family: Family, table: TableName) -> [[Rule]] {
        let parts = Parts(compiler: self, family: family)
        return gateways.map { parts.rules(for: $0, table: table) }
    }

    // MARK: Building extensions

    /// A match built as `iptables -m NAME OPTIONS` would build it; an option written `! --NAME`
    /// is negated.
    func match(_ name: String, _ options: [(String, [String])], context: ExtensionContext) -> Match {
        if let type = registry.matches[name], var value = Optional(type.init()) {
            do {
                for (option, arguments) in options {
                    let negated = option.hasPrefix("! ")
                    let parsed = ParsedOption(name: negated ? String(option.dropFirst(2)) : option, negated: negated, arguments: arguments)
                    try value.parse(parsed, context: context)
                }
                try value.validate(context: context)
                return Match(value)
            } catch {
                preconditionFailure("natgate's own \(name) match was refused: \(error)")
            }
        }
        return Match(UnknownMatch(name: name, words: options.flatMap { $0.0.split(separator: " ").map(String.init) + $0.1 }))
    }

    /// A target built as `iptables -j NAME OPTIONS` would build it.
    func target(_ name: String, _ options: [(String, [String])], context: ExtensionContext) -> Target {
        if let type = registry.targets[name], var value = Optional(type.init()) {
            do {
                for (option, arguments) in options {
                    try value.parse(ParsedOption(name: option, arguments: arguments), context: context)
                }
                try value.validate(context: context)
                return Target(value)
            } catch {
                preconditionFailure("natgate's own \(name) target was refused: \(error)")
            }
        }
        return Target(UnknownTarget(name: name, words: options.flatMap { [$0.0] + $0.1 }))
    }
}

/// The pieces shared by every gateway of one family, built once per compile.
struct Parts {
    let compiler: GatewayCompiler
    let family: Family
    let established: Match
    /// `! --ctstate DNAT`: a packet of a connection no one port-forwarded into the subnet.
    let notForwarded: Match

    init(compiler: GatewayCompiler, family: Family) {
        self.compiler = compiler
        self.family = family
        let context = ExtensionContext(family: family, table: .filter, chain: OwnedChains.forward)
        established = compiler.match("conntrack", [("--ctstate", ["RELATED,ESTABLISHED"])], context: context)
        notForwarded = compiler.match("conntrack", [("! --ctstate", ["DNAT"])], context: context)
    }

    func rules(for gateway: Gateway, table: TableName) -> [Rule] {
        switch table {
        case .filter: filterRules(gateway)
        case .nat: natRules(gateway)
        default: []
        }
    }

    func comment(_ gateway: Gateway) -> Match {
        do {
            return Match(try CommentMatch(OwnedChains.tag(gateway)))
        } catch {
            preconditionFailure("natgate's own comment was refused: \(error)")
        }
    }

    func filterRules(_ gateway: Gateway) -> [Rule] {
        let tag = comment(gateway)
        let out = Rule(
            source: Negatable(gateway.subnet),
            inInterface: gateway.via.map { Negatable($0) },
            outInterface: Negatable(gateway.uplink),
            matches: [tag],
            target: .accept)
        var back = Rule(
            destination: Negatable(gateway.subnet),
            inInterface: Negatable(gateway.uplink),
            outInterface: gateway.via.map { Negatable($0) },
            matches: [tag],
            target: .accept)
        guard gateway.inbound == .established else { return [out, back] }
        var keepOut = back
        back.matches.append(established)
        keepOut.matches.append(notForwarded)
        keepOut.target = .drop
        return [out, back, keepOut]
    }

    func natRules(_ gateway: Gateway) -> [Rule] {
        let tag = comment(gateway)
        var rules: [Rule] = gateway.exclude.map { network in
            Rule(
                source: Negatable(gateway.subnet),
                destination: Negatable(network),
                outInterface: Negatable(gateway.uplink),
                matches: [tag],
                target: .return)
        }
        var protocols: [IPProtocol?] = [nil]
        if gateway.ports != nil { protocols = [.tcp, .udp, nil] }
        for ipProtocol in protocols {
            rules.append(
                Rule(
                    ipProtocol: ipProtocol.map { Negatable($0) },
                    source: Negatable(gateway.subnet),
                    outInterface: Negatable(gateway.uplink),
                    matches: [tag],
                    target: .extension(natTarget(snatTo: gateway.snatTo, randomFully: gateway.randomFully, ports: ipProtocol == nil ? nil : gateway.ports, ipProtocol: ipProtocol))))
        }
        return rules
    }

    func natTarget(snatTo: IPAddress?, randomFully: Bool, ports: PortRange?, ipProtocol: IPProtocol?) -> Target {
        let context = ExtensionContext(family: family, ipProtocol: ipProtocol, table: .nat, chain: OwnedChains.postrouting)
        var options: [(String, [String])] = []
        let name: String
        if let address = snatTo {
            name = "SNAT"
            var text = address.description
            if let ports {
                text = (family == .ipv6 ? "[\(text)]" : text) + ":" + ports.text(separator: "-")
            }
            options.append(("--to-source", [text]))
        } else {
            name = "MASQUERADE"
            if let ports { options.append(("--to-ports", [ports.text(separator: "-")])) }
        }
        if randomFully { options.append(("--random-fully", [])) }
        return compiler.target(name, options, context: context)
    }
}
