/// An IP protocol number as `-p` takes it: `tcp`, `udp`, `icmp`, `ipv6-icmp`, or a number.
///
/// iptables-save prints a protocol by the name `getprotobynumber` gives (Debian's `netbase`
/// `/etc/protocols`), then by libxtables' own table, and as a number when neither knows it. Both
/// tables are built in here so that the text form does not depend on the machine.
public struct IPProtocol: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The protocol number (IANA), 0 for any.
    public var number: UInt8

    /// The protocol of `number`.
    public init(number: UInt8) { self.number = number }

    /// Any protocol (`-p all`, number 0).
    public static let all = IPProtocol(number: 0)
    /// ICMP (1).
    public static let icmp = IPProtocol(number: 1)
    /// TCP (6).
    public static let tcp = IPProtocol(number: 6)
    /// UDP (17).
    public static let udp = IPProtocol(number: 17)
    /// DCCP (33).
    public static let dccp = IPProtocol(number: 33)
    /// IPsec ESP (50).
    public static let esp = IPProtocol(number: 50)
    /// IPsec AH (51).
    public static let ah = IPProtocol(number: 51)
    /// ICMPv6 (58), printed `ipv6-icmp`.
    public static let icmpv6 = IPProtocol(number: 58)
    /// SCTP (132).
    public static let sctp = IPProtocol(number: 132)
    /// Mobility Header (135).
    public static let mh = IPProtocol(number: 135)
    /// UDP-Lite (136).
    public static let udplite = IPProtocol(number: 136)

    /// The names libxtables knows without /etc/protocols (`xtables_chain_protos`), in its spelling.
    public static let knownNames: [(String, UInt8)] = [
        ("tcp", 6), ("sctp", 132), ("udp", 17), ("udplite", 136), ("icmp", 1), ("ipv6-icmp", 58),
        ("icmpv6", 58), ("esp", 50), ("ah", 51), ("mh", 135), ("all", 0),
    ]

    /// Debian netbase's `/etc/protocols` (names only, aliases are upper case and so never match the
    /// lower-cased `-p` argument), which iptables consults first.
    public static let netbaseNames: [(String, UInt8)] = [
        ("ip", 0), ("hopopt", 0), ("icmp", 1), ("igmp", 2), ("ggp", 3), ("ipencap", 4), ("st", 5), ("tcp", 6),
        ("egp", 8), ("igp", 9), ("pup", 12), ("udp", 17), ("hmp", 20), ("xns-idp", 22), ("rdp", 27),
        ("iso-tp4", 29), ("dccp", 33), ("xtp", 36), ("ddp", 37), ("idpr-cmtp", 38), ("ipv6", 41),
        ("ipv6-route", 43), ("ipv6-frag", 44), ("idrp", 45), ("rsvp", 46), ("gre", 47), ("esp", 50), ("ah", 51),
        ("skip", 57), ("ipv6-icmp", 58), ("ipv6-nonxt", 59), ("ipv6-opts", 60), ("rspf", 73), ("vmtp", 81),
        ("eigrp", 88), ("ospf", 89), ("ax.25", 93), ("ipip", 94), ("etherip", 97), ("encap", 98), ("pim", 103),
        ("ipcomp", 108), ("vrrp", 112), ("l2tp", 115), ("isis", 124), ("sctp", 132), ("fc", 133),
        ("mobility-header", 135), ("udplite", 136), ("mpls-in-ip", 137), ("manet", 138), ("hip", 139),
        ("shim6", 140), ("wesp", 141), ("rohc", 142), ("ethernet", 143),
    ]

    private static let namesByNumber: [String?] = {
        var names = [String?](repeating: nil, count: 256)
        for (name, number) in knownNames.reversed() where number != 0 { names[Int(number)] = name }
        for (name, number) in netbaseNames.reversed() where number != 0 { names[Int(number)] = name }
        return names
    }()

    /// Parses a protocol as `iptables -p` does: a number from 0 to 255 (decimal, `0x` hex or
    /// leading-zero octal), `all`, or a name, case-insensitively.
    public init(_ text: String) throws {
        let lower = text.lowercased()
        if let value = IPProtocol.parseNumber(lower) {
            number = value
        } else if lower == "all" {
            number = 0
        } else if let known = IPProtocol.netbaseNames.first(where: { $0.0 == lower }) ?? IPProtocol.knownNames.first(where: { $0.0 == lower }) {
            number = known.1
        } else {
            throw ModelError(
                .invalidValue, input: text,
                "\(ModelError.quote(text)) is not a protocol: use tcp, udp, icmp, ipv6-icmp, sctp, esp, ah, all, a name from /etc/protocols, or a number from 0 to 255.")
        }
    }

    /// `strtoul(text, 0)` restricted to 0...255 and to the whole string.
    private static func parseNumber(_ text: String) -> UInt8? {
        var digits = Substring(text)
        var radix = 10
        if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 < 0x80 }), let value = UInt64(digits, radix: radix), value <= 255 else { return nil }
        return UInt8(value)
    }

    /// The name iptables-save prints, or nil when it prints the number (and for 0, which it omits).
    public var name: String? { IPProtocol.namesByNumber[Int(number)] }

    /// The name of the match `iptables` loads by itself for this protocol's options (`-p tcp --dport
    /// 22` loads `-m tcp`), if the protocol has one.
    public func implicitMatchName(family: Family) -> String? {
        switch number {
        case 6: "tcp"
        case 17: "udp"
        case 1: family == .ipv4 ? "icmp" : nil
        case 58: family == .ipv6 ? "icmp6" : nil
        case 132: "sctp"
        case 33: "dccp"
        case 50: "esp"
        case 51: "ah"
        case 135: family == .ipv6 ? "mh" : nil
        case 136: "udplite"
        default: nil
        }
    }

    public var description: String { name ?? (number == 0 ? "all" : String(number)) }
    public static func < (lhs: IPProtocol, rhs: IPProtocol) -> Bool { lhs.number < rhs.number }

    public init(from decoder: any Decoder) throws { try self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The standard verdicts a rule can jump to.
public enum Verdict: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Let the packet through (`ACCEPT`).
    case accept = "ACCEPT"
    /// Discard the packet (`DROP`).
    case drop = "DROP"
    /// Go back to the calling chain, or to the policy of a built-in one (`RETURN`).
    case `return` = "RETURN"
    /// Hand the packet to user space (`QUEUE`).
    case queue = "QUEUE"

    public var description: String { rawValue }
}

/// What a rule does with a matching packet.
public enum RuleTarget: Hashable, Sendable, CustomStringConvertible {
    /// `-j ACCEPT`, `-j DROP`, `-j RETURN`, `-j QUEUE`.
    case verdict(Verdict)
    /// `-j CHAIN`: continue in a user chain and come back.
    case jump(ChainName)
    /// `-g CHAIN`: continue in a user chain and do not come back.
    case goto(ChainName)
    /// `-j NAME [options]`: a target extension.
    case `extension`(Target)

    /// `-j ACCEPT`.
    public static let accept = RuleTarget.verdict(.accept)
    /// `-j DROP`.
    public static let drop = RuleTarget.verdict(.drop)
    /// `-j RETURN`.
    public static let `return` = RuleTarget.verdict(.return)

    /// The user chain this target continues in, for jumps and gotos.
    public var chain: ChainName? {
        switch self {
        case .jump(let chain), .goto(let chain): chain
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .verdict(let verdict): "-j \(verdict)"
        case .jump(let chain): "-j \(chain)"
        case .goto(let chain): "-g \(chain)"
        case .extension(let target): "-j \(target)"
        }
    }
}

/// Whether a rule matches only second and later fragments (`-f`) or only the rest (`! -f`). IPv4 only.
public enum FragmentMatch: Hashable, Sendable {
    /// `-f`: second and later fragments only.
    case fragmentsOnly
    /// `! -f`: unfragmented packets and first fragments only.
    case nonFragmentsOnly
}

/// One rule: IP header conditions, an ordered list of matches, and at most one target.
///
/// The header fields are the ones `-p`, `-s`, `-d`, `-i`, `-o` and `-f` set; each is nil when the
/// rule does not test it.
public struct Rule: Hashable, Sendable, CustomStringConvertible {
    /// `-p`: the IP protocol.
    public var ipProtocol: Negatable<IPProtocol>?
    /// `-s`: the source network.
    public var source: Negatable<IPNetwork>?
    /// `-d`: the destination network.
    public var destination: Negatable<IPNetwork>?
    /// `-i`: the interface the packet came in by.
    public var inInterface: Negatable<InterfaceName>?
    /// `-o`: the interface the packet leaves by.
    public var outInterface: Negatable<InterfaceName>?
    /// `-f`: fragments only, or none (IPv4).
    public var fragment: FragmentMatch?
    /// The `-m` matches, in order; all must match.
    public var matches: [Match]
    /// What a matching packet gets; nil counts it and goes on.
    public var target: RuleTarget?
    /// The rule's counters, when the text gave them (`[pkts:bytes] -A …`) or the kernel was read.
    public var counters: Counters?

    /// A rule testing the header fields given (nil: not tested), then `matches`, then `target`.
    public init(
        ipProtocol: Negatable<IPProtocol>? = nil,
        source: Negatable<IPNetwork>? = nil,
        destination: Negatable<IPNetwork>? = nil,
        inInterface: Negatable<InterfaceName>? = nil,
        outInterface: Negatable<InterfaceName>? = nil,
        fragment: FragmentMatch? = nil,
        matches: [Match] = [],
        target: RuleTarget? = nil,
        counters: Counters? = nil
    ) {
        self.ipProtocol = ipProtocol
        self.source = source
        self.destination = destination
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.fragment = fragment
        self.matches = matches
        self.target = target
        self.counters = counters
    }

    /// The context extensions of this rule are parsed and printed in.
    public func extensionContext(family: Family, table: TableName? = nil, chain: ChainName? = nil) -> ExtensionContext {
        ExtensionContext(
            family: family,
            ipProtocol: ipProtocol.flatMap { $0.negated ? nil : $0.value },
            table: table, chain: chain)
    }

    /// The same rule without counters, for comparisons that ignore them.
    public var withoutCounters: Rule {
        var copy = self
        copy.counters = nil
        return copy
    }

    /// The rule's iptables-save words (see `saveArguments(family:table:chain:)`), for the family
    /// of its addresses (IPv4 when it has none).
    public var description: String {
        let family = source?.value.family ?? destination?.value.family ?? .ipv4
        return saveArguments(family: family)
    }
}
