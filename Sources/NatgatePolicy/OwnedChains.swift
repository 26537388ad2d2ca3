import NatgateModel

/// The chains natgate owns, and how its rules are recognised.
///
/// natgate keeps all its rules in two user chains per family, one in each table it writes, and
/// jumps to each from the top of one built-in chain:
///
/// | table  | built-in chain | owned chain           | holds, per gateway                       |
/// |--------|----------------|-----------------------|------------------------------------------|
/// | filter | FORWARD        | `NATGATE-FORWARD`     | accept out to the uplink, accept back in |
/// | nat    | POSTROUTING    | `NATGATE-POSTROUTING` | exclusions (RETURN), then MASQUERADE/SNAT |
///
/// Two shared chains rather than a chain per gateway: a host with 10,000 gateways then has two
/// chains and two jumps instead of 20,000 chains, every packet walks one chain per hook, and every
/// rule still carries its whole gateway in its comment, as the `natgate enable` words that make it
/// (`natgate enable 10.200.1.0/24 eth0 --via v-eth1`), which is how natgate reads its gateways
/// back from the kernel. The owned chains are the whole state: there is no other rule database to
/// drift from them, and a gateway any one of whose rules survives is known whole.
public enum OwnedChains {
    /// `NATGATE-FORWARD`, in filter.
    public static let forward = ChainName(valid: "NATGATE-FORWARD")
    /// `NATGATE-POSTROUTING`, in nat.
    public static let postrouting = ChainName(valid: "NATGATE-POSTROUTING")

    /// The tables natgate writes, in the order it commits them when adding gateways: nat first, so
    /// that no forwarded packet leaves unmasqueraded; removing goes the other way.
    public static let tables: [TableName] = [.nat, .filter]

    /// The chain natgate owns in `table`, or nil for a table it does not write.
    public static func owned(in table: TableName) -> ChainName? {
        switch table {
        case .filter: forward
        case .nat: postrouting
        default: nil
        }
    }

    /// The built-in chain that jumps to the owned chain of `table`.
    public static func hook(in table: TableName) -> ChainName? {
        switch table {
        case .filter: .forward
        case .nat: .postrouting
        default: nil
        }
    }

    /// The comment prefix every natgate rule carries (earlier versions' tags included).
    package static let tagPrefix = "natgate "

    /// The start of the tags natgate writes: `natgate enable `, then the gateway's words.
    package static let gatewayTagPrefix = "natgate enable "

    /// The most UTF-8 bytes a comment holds (`xt_comment_info`: 256 with the NUL).
    package static let tagLimit = CommentMatch.maximumLength

    /// The comment on each of a gateway's rules: the whole gateway as `natgate enable` takes it,
    /// `natgate enable 10.200.1.0/24 eth0 --via v-eth1 --inbound all`.
    ///
    /// When those words are longer than a comment holds (many exclusions, long IPv6 networks),
    /// the `--exclude NET` words are replaced by `--excludes COUNT:DIGEST`: how many networks,
    /// and a 64-bit FNV-1a digest of their words (`excludesDigest`). The networks themselves are
    /// the destinations of the gateway's RETURN rules in nat, and are read from there only when
    /// count and digest match; with those rules gone the gateway is not known (never guessed).
    /// A gateway whose tag does not fit even so cannot be made (`Gateway.init` refuses it).
    package static func tag(_ gateway: Gateway) -> String {
        let full = gatewayTagPrefix + gateway.description
        guard full.utf8.count > tagLimit else { return full }
        return gatewayTagPrefix + ([gateway.key.description] + compactOptionArguments(gateway)).joined(separator: " ")
    }

    /// `gateway.optionArguments` with the exclusions as `--excludes COUNT:DIGEST`.
    package static func compactOptionArguments(_ gateway: Gateway) -> [String] {
        var words: [String] = []
        var excludesDone = false
        var iterator = gateway.optionArguments.makeIterator()
        while let word = iterator.next() {
            if word == "--exclude" {
                _ = iterator.next()
                if !excludesDone { words += ["--excludes", excludesDigest(gateway.exclude)] }
                excludesDone = true
            } else {
                words.append(word)
            }
        }
        return words
    }

    /// `COUNT:DIGEST`: the number of networks and the FNV-1a 64 digest of their descriptions,
    /// each followed by a space, in 16 lowercase hex digits.
    package static func excludesDigest(_ networks: [IPNetwork]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for network in networks {
            for byte in (network.description + " ").utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return "\(networks.count):" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The short tag of natgate before 0.2 (`natgate 10.200.1.0/24 eth0`), which names the
    /// gateway's subnet and uplink only: read back when both tables still hold the gateway's
    /// rules intact, and replaced with `tag(_:)` at the next change.
    package static func legacyTag(_ key: Gateway.Key) -> String { tagPrefix + key.description }

    /// What a natgate comment says.
    package enum Tag: Hashable, Sendable {
        /// A whole gateway (`tag(_:)`), exactly as natgate writes it.
        case gateway(Gateway)
        /// A whole gateway but for its exclusions, which the tag gives as a count and digest
        /// (`--excludes COUNT:DIGEST`): `gateway(_:excluding:)` completes it from the
        /// destinations of its nat RETURN rules.
        case compact(Gateway.Key, comment: String)
        /// The short tag of an earlier natgate (`legacyTag(_:)`).
        case legacy(Gateway.Key)
        /// natgate's prefix, but not a tag natgate writes (edited by hand, say); the gateway its
        /// first words name, when they name one.
        case unreadable(Gateway.Key?)

        /// The subnet and uplink the tag names, if it names any.
        package var key: Gateway.Key? {
            switch self {
            case .gateway(let gateway): gateway.key
            case .compact(let key, _): key
            case .legacy(let key): key
            case .unreadable(let key): key
            }
        }
    }

    /// What `comment` says, or nil when it does not start with `natgate ` (not natgate's).
    ///
    /// A gateway tag is read only when it is exactly what `tag(_:)` writes for the gateway it
    /// describes: options reordered, repeated or misspelt make it `.unreadable`, never a guess.
    package static func parseTag(_ comment: String) -> Tag? {
        guard comment.hasPrefix(tagPrefix) else { return nil }
        let isGateway = comment.hasPrefix(gatewayTagPrefix)
        let words = comment.dropFirst(isGateway ? gatewayTagPrefix.count : tagPrefix.count)
            .split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var key: Gateway.Key?
        if words.count >= 2, let subnet = try? IPNetwork(words[0]), let uplink = try? InterfaceName(words[1]) {
            key = Gateway.Key(subnet: subnet, uplink: uplink)
        }
        guard let key else { return .unreadable(nil) }
        guard isGateway else {
            return words.count == 2 && legacyTag(key) == comment ? .legacy(key) : .unreadable(key)
        }
        if words.contains("--excludes") {
            // Checked against the comment once the exclusions are known.
            return gateway(key, options: words.dropFirst(2)) != nil ? .compact(key, comment: comment) : .unreadable(key)
        }
        guard let gateway = gateway(key, options: words.dropFirst(2)), tag(gateway) == comment else { return .unreadable(key) }
        return .gateway(gateway)
    }

    /// The gateway a compact tag (`Tag.compact`) describes, with `exclusions` (the destinations
    /// of its nat RETURN rules, in chain order); nil unless its tag is exactly `comment`.
    package static func gateway(_ comment: String, excluding exclusions: [IPNetwork]) -> Gateway? {
        guard case .compact(let key, _)? = parseTag(comment),
            let base = gateway(key, options: comment.dropFirst(gatewayTagPrefix.count).split(separator: " ").dropFirst(2).map(String.init)[...]),
            let gateway = try? Gateway(
                subnet: key.subnet, uplink: key.uplink, via: base.via, inbound: base.inbound, exclude: exclusions,
                snatTo: base.snatTo, ports: base.ports, randomFully: base.randomFully),
            gateway.exclude == exclusions, tag(gateway) == comment
        else { return nil }
        return gateway
    }

    /// The gateway of `key` with the `natgate enable` options `words`; nil when they are not
    /// options natgate writes.
    private static func gateway(_ key: Gateway.Key, options words: ArraySlice<String>) -> Gateway? {
        var via: InterfaceName?
        var inbound = Gateway.Inbound.established
        var exclude: [IPNetwork] = []
        var snatTo: IPAddress?
        var ports: PortRange?
        var randomFully = false
        var rest = words
        while let option = rest.popFirst() {
            if option == "--random-fully" {
                randomFully = true
                continue
            }
            guard let value = rest.popFirst() else { return nil }
            switch option {
            case "--via": via = try? InterfaceName(value)
            case "--inbound": inbound = Gateway.Inbound(rawValue: value) ?? inbound
            case "--exclude": guard let network = try? IPNetwork(value) else { return nil }; exclude.append(network)
            case "--excludes": guard value.split(separator: ":").count == 2 else { return nil }
            case "--snat-to": snatTo = try? IPAddress(value)
            case "--ports": ports = try? PortRange(value, separator: "-")
            default: return nil
            }
        }
        // A value that did not parse is missing here, so the gateway prints another tag: the
        // caller's comparison with the comment refuses it.
        return try? Gateway(
            subnet: key.subnet, uplink: key.uplink, via: via, inbound: inbound, exclude: exclude,
            snatTo: snatTo, ports: ports, randomFully: randomFully)
    }

    /// The subnet and uplink a natgate comment names (any tag natgate writes or wrote), or nil.
    package static func key(fromTag comment: String) -> Gateway.Key? {
        switch parseTag(comment) {
        case .gateway(let gateway): gateway.key
        case .compact(let key, _): key
        case .legacy(let key): key
        default: nil
        }
    }

    /// The command that deletes `rule` of `chain` (a rule natgate does not own):
    /// `iptables-legacy -t filter -D INPUT -j NATGATE-FORWARD`.
    package static func deleteCommand(_ rule: Rule, family: Family, table: TableName, chain: ChainName, variant: String = "legacy") -> String {
        let line = rule.withoutCounters.saveLine(family: family, table: table, chain: chain)
        let tool = (family == .ipv4 ? "iptables-" : "ip6tables-") + variant
        return "\(tool) -t \(table) -D" + line.dropFirst(2)
    }
}
