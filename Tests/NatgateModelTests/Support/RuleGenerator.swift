import Testing
@testable import NatgateModel

/// Option words for each typed extension, valid on their own; `proto` is the `-p` they need.
struct ExtensionSample {
    var words: String
    var proto: String?
    var family: Family?
    /// The built-in chains the kernel takes it in; nil for all.
    var chains: Set<String>?

    init(_ words: String, proto: String? = nil, family: Family? = nil, chains: Set<String>? = nil) {
        self.words = words
        self.proto = proto
        self.family = family
        self.chains = chains
    }

    /// The same sample, limited to `chains`.
    func only(_ chains: Set<String>) -> ExtensionSample {
        var copy = self
        copy.chains = chains
        return copy
    }

    func fits(family: Family, proto: String?, chain: String?) -> Bool {
        (self.family ?? family) == family && (self.proto == nil || proto == nil || self.proto == proto)
            && (chains == nil || chain == nil || chains?.contains(chain ?? "") == true)
    }

    static let matches: [String: [ExtensionSample]] = [
        "tcp": [
            .init("--dport 22", proto: "tcp"), .init("--sport 1024:65535", proto: "tcp"), .init("! --dport 80", proto: "tcp"),
            .init("--tcp-flags SYN,RST SYN", proto: "tcp"), .init("--syn", proto: "tcp"), .init("--sport 1:2 --dport 3", proto: "tcp"),
            .init("! --syn", proto: "tcp"), .init("", proto: "tcp"),
        ],
        "udp": [.init("--dport 53", proto: "udp"), .init("--sport 67 --dport 68", proto: "udp"), .init("! --sport 1000:2000", proto: "udp")],
        "icmp": [.init("--icmp-type 8", proto: "icmp", family: .ipv4), .init("--icmp-type 3/4", proto: "icmp", family: .ipv4), .init("! --icmp-type 0", proto: "icmp", family: .ipv4)],
        "icmp6": [.init("--icmpv6-type 128", proto: "ipv6-icmp", family: .ipv6), .init("--icmpv6-type 1/3", proto: "ipv6-icmp", family: .ipv6), .init("! --icmpv6-type 135", proto: "ipv6-icmp", family: .ipv6)],
        "conntrack": [.init("--ctstate RELATED,ESTABLISHED"), .init("! --ctstate INVALID"), .init("--ctstate NEW --ctdir ORIGINAL"), .init("--ctstatus ASSURED"), .init("! --ctstate RELATED,ESTABLISHED,DNAT")],
        "state": [.init("--state NEW"), .init("! --state INVALID,NEW"), .init("--state RELATED,ESTABLISHED")],
        "multiport": [.init("--dports 80,443", proto: "tcp"), .init("--sports 1:1024,2000", proto: "udp"), .init("! --ports 22", proto: "tcp")],
        "addrtype": [.init("--dst-type LOCAL"), .init("--src-type BROADCAST", family: .ipv4), .init("! --dst-type UNICAST"), .init("--dst-type MULTICAST")],
        "mark": [.init("--mark 0x4000/0x4000"), .init("! --mark 0x1"), .init("--mark 0x0/0xff")],
        "connmark": [.init("--mark 0x1/0xff"), .init("! --mark 0x0/0xff")],
        "limit": [.init("--limit 3/min --limit-burst 10"), .init("--limit 5/sec"), .init("--limit 1/hour")],
        "statistic": [.init("--mode random --probability 0.50000000000"), .init("--mode nth --every 3 --packet 1")],
        "pkttype": [.init("--pkt-type broadcast"), .init("! --pkt-type multicast"), .init("--pkt-type unicast")],
        "owner": [.init("--uid-owner 1000", chains: ["OUTPUT", "POSTROUTING"]), .init("! --gid-owner 0", chains: ["OUTPUT", "POSTROUTING"]), .init("--socket-exists", chains: ["OUTPUT", "POSTROUTING"])],
        "recent": [.init("--set --name DEFAULT --mask 255.255.255.255 --rsource", family: .ipv4), .init("--update --seconds 30 --hitcount 6 --name X --rsource")],
        "hl": [.init("--hl-eq 255", family: .ipv6), .init("--hl-lt 10", family: .ipv6)],
        "ttl": [.init("--ttl-eq 64", family: .ipv4), .init("--ttl-gt 1", family: .ipv4)],
        "rt": [.init("--rt-type 0", family: .ipv6), .init("! --rt-type 2", family: .ipv6)],
        "iprange": [.init("--src-range 10.0.0.1-10.0.0.9", family: .ipv4), .init("! --dst-range 2001:db8::1-2001:db8::9", family: .ipv6)],
        "mac": [.init("--mac-source 52:54:00:12:34:56", chains: ["PREROUTING", "INPUT", "FORWARD"]), .init("! --mac-source 00:11:22:33:44:55", chains: ["PREROUTING", "INPUT", "FORWARD"])],
        "physdev": [.init("--physdev-is-bridged"), .init("--physdev-in eth0"), .init("! --physdev-out veth+", chains: ["FORWARD", "POSTROUTING"])],
    ]

    static let targets: [String: [ExtensionSample]] = [
        "REJECT": [ExtensionSample("--reject-with icmp-port-unreachable", family: .ipv4), ExtensionSample("--reject-with tcp-reset", proto: "tcp"), ExtensionSample("--reject-with icmp6-adm-prohibited", family: .ipv6)].map { $0.only(["INPUT", "FORWARD", "OUTPUT"]) },
        "LOG": [.init(#"--log-prefix "x: " --log-level 6"#), .init("--log-tcp-options"), .init("")],
        "MARK": [.init("--set-xmark 0x4000/0x4000"), .init("--set-mark 0x1")],
        "CONNMARK": [.init("--restore-mark --nfmask 0xff --ctmask 0xff"), .init("--set-xmark 0x1/0xff")],
        "SNAT": [ExtensionSample("--to-source 198.51.100.7", family: .ipv4), ExtensionSample("--to-source 2001:db8::1", family: .ipv6)].map { $0.only(["POSTROUTING", "INPUT"]) },
        "DNAT": [ExtensionSample("--to-destination 10.0.0.1:80", proto: "tcp", family: .ipv4), ExtensionSample("--to-destination [2001:db8::1]:80", proto: "tcp", family: .ipv6)].map { $0.only(["PREROUTING", "OUTPUT"]) },
        "REDIRECT": [ExtensionSample("--to-ports 8080", proto: "tcp"), ExtensionSample("")].map { $0.only(["PREROUTING", "OUTPUT"]) },
        "MASQUERADE": [ExtensionSample(""), ExtensionSample("--random-fully"), ExtensionSample("--to-ports 1024-65535", proto: "udp")].map { $0.only(["POSTROUTING"]) },
        "CHECKSUM": [.init("--checksum-fill")],
        "TCPMSS": [.init("--clamp-mss-to-pmtu", proto: "tcp", chains: ["FORWARD", "OUTPUT", "POSTROUTING"]), .init("--set-mss 1400", proto: "tcp")],
        "CT": [.init("--notrack"), .init("--zone 1")],
        "NOTRACK": [.init("")],
    ]
}

/// Random rules in iptables-save words, over the extensions the standard registry types.
struct RuleGenerator {
    var random: SaveTextRandom
    let registry = ExtensionRegistry.standard

    init(seed: UInt64) { random = SaveTextRandom(seed: seed) }

    mutating func network(_ family: Family) -> String {
        if family == .ipv4 {
            let address = (0..<4).map { _ in String(Int.random(in: 0...255, using: &random)) }.joined(separator: ".")
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return address
            case 1: return "\(address)/\(Int.random(in: 0...32, using: &random))"
            case 2: return "\(address)/\(IPv4Address(rawValue: IPv4Network.mask(prefixLength: Int.random(in: 0...32, using: &random))))"
            default: return "\(address)/255.0.255.0"
            }
        }
        let groups = (0..<8).map { _ in random.chance(40) ? "0" : String(UInt16.random(in: 0...0xFFFF, using: &random), radix: 16) }
        let address = groups.joined(separator: ":")
        return random.chance(30) ? address : "\(address)/\(Int.random(in: 0...128, using: &random))"
    }

    mutating func interface() -> String {
        random.pick(["eth0", "veth+", "br-5f3a9c2e1b7d", "wg0", "lan0.20", "ppp+", "abcdefghijklmno", "+"])
    }

    mutating func comment() -> String {
        let alphabet: [String] = ["a", "b", "Z", "0", "9", " ", " ", "\"", "\\", "'", "-", "_", "!", "#", ":", "/", ",", "=", "[", "]", "é", "→", "\t"]
        let count = Int.random(in: 0...40, using: &random)
        var text = (0..<count).map { _ in random.pick(alphabet) }.joined()
        while text.utf8.count > 255 { text.removeLast() }
        return text
    }

    /// Quotes a comment as a person might: as iptables-save does, or always.
    mutating func quote(_ text: String) -> String {
        if random.chance(50) { return SaveWriter.quote(text) }
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }

    /// One rule's words, and the comments it carries, in order. `chain` keeps `-i`/`-o` where
    /// iptables takes them; `targets` limits the typed targets (to those a table allows).
    /// `kernelOnly` leaves out the unknown extensions the kernel does not have (`-m foo`, a set
    /// that does not exist).
    mutating func rule(family: Family, chains: [String] = [], chain: String? = nil, targets: Set<String>? = nil, kernelOnly: Bool = false) -> (words: String, comments: [String]) {
        var parts: [String] = []
        var comments: [String] = []
        var proto: String?
        var matchParts: [String] = []

        let typedMatches = ExtensionSample.matches.filter { registry.matches[$0.key] != nil }.sorted { $0.key < $1.key }
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            if registry.matches["comment"] != nil, random.chance(25) {
                let text = comment()
                comments.append(text)
                matchParts.append("-m comment --comment \(quote(text))")
                continue
            }
            guard !typedMatches.isEmpty else { break }
            let (name, samples) = random.pick(typedMatches)
            let usable = samples.filter { $0.fits(family: family, proto: proto, chain: chain) }
            guard !usable.isEmpty else { continue }
            let sample = random.pick(usable)
            if let needed = sample.proto { proto = needed }
            matchParts.append("-m \(name)" + (sample.words.isEmpty ? "" : " \(sample.words)"))
        }
        if random.chance(15), !kernelOnly {
            matchParts.append(random.pick(["-m foo --bar 1", #"-m string --algo bm --string "my set""#, "-m socket --transparent"]))
        }

        var target: String?
        let typedTargets = ExtensionSample.targets.filter { registry.targets[$0.key] != nil && targets?.contains($0.key) != false }.sorted { $0.key < $1.key }
        switch Int.random(in: 0..<6, using: &random) {
        case 0: target = nil
        case 1: target = "-j " + random.pick(["ACCEPT", "DROP", "RETURN"])
        case 2 where !chains.isEmpty: target = (random.chance(50) ? "-j " : "-g ") + random.pick(chains)
        case 3: target = random.pick(["-j NFLOG --nflog-group 5", #"-j NFLOG --nflog-prefix "a b""#] + (kernelOnly ? [] : ["-j TPROXY --on-port 1 --tproxy-mark 0x1/0x1"]))
        default:
            if !typedTargets.isEmpty {
                let (name, samples) = random.pick(typedTargets)
                let usable = samples.filter { $0.fits(family: family, proto: proto, chain: chain) }
                if !usable.isEmpty {
                    let sample = random.pick(usable)
                    if let needed = sample.proto { proto = needed }
                    target = "-j \(name)" + (sample.words.isEmpty ? "" : " \(sample.words)")
                }
            }
        }

        if let proto {
            parts.append("-p \(random.chance(20) ? proto.uppercased() : proto)")
        } else if random.chance(30) {
            let choice = random.pick(["gre", "47", "esp", "all", "udplite", "200"])
            parts.append((random.chance(30) && choice != "all" ? "! " : "") + "-p \(choice)")
        }
        var core: [String] = []
        if random.chance(50) { core.append((random.chance(25) ? "! " : "") + random.pick(["-s ", "--source ", "--src "]) + network(family)) }
        if random.chance(50) { core.append((random.chance(25) ? "! " : "") + random.pick(["-d ", "--destination ", "--dst "]) + network(family)) }
        if random.chance(40), chain != "OUTPUT", chain != "POSTROUTING" {
            core.append((random.chance(25) ? "! " : "") + random.pick(["-i ", "--in-interface "]) + interface())
        }
        if random.chance(40), chain != "INPUT", chain != "PREROUTING" {
            core.append((random.chance(25) ? "! " : "") + random.pick(["-o ", "--out-interface "]) + interface())
        }
        if family == .ipv4, random.chance(10) { core.append((random.chance(50) ? "! " : "") + "-f") }
        core.shuffle(using: &random)
        // Core options may stand anywhere: before, between or after the matches.
        var words = parts
        var pending = core[...]
        for match in matchParts {
            if let next = pending.first, random.chance(30) {
                words.append(next)
                pending = pending.dropFirst()
            }
            words.append(match)
        }
        words += pending
        if let target { words.append(target) }
        return (words.joined(separator: " "), comments)
    }
}
