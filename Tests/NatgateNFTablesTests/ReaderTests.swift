import Foundation
import NatgateKernel
import NatgateModel
@testable import NatgateNFTables
import Testing
import NatgateLab

/// The netlink reader against `nft -j list ruleset`, the independent oracle, in throwaway namespaces.
@Suite("nftables reader")
struct ReaderTests {
    /// What `nft -j list ruleset` says, reduced to what natgate's reader must agree on.
    struct Oracle: Equatable, CustomStringConvertible {
        var tables: [String] = []
        var chains: [String] = []
        var rules: [String] = []
        /// Named sets (nft lists anonymous ones inside their rules).
        var sets: [String] = []

        init() {}

        init(json text: String) throws {
            let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let objects = try #require(root["nftables"] as? [[String: Any]])
            for object in objects {
                if let table = object["table"] as? [String: Any] {
                    tables.append("\(table["family"]!) \(table["name"]!)")
                } else if let chain = object["chain"] as? [String: Any] {
                    var line = "\(chain["family"]!) \(chain["table"]!) \(chain["name"]!)"
                    if let hook = chain["hook"] {
                        line += " type \(chain["type"]!) hook \(hook) prio \(chain["prio"]!) policy \(chain["policy"] ?? "accept")"
                    }
                    chains.append(line)
                } else if let rule = object["rule"] as? [String: Any] {
                    rules.append("\(rule["family"]!) \(rule["table"]!) \(rule["chain"]!) handle \(rule["handle"]!)")
                } else if let set = object["set"] ?? object["map"], let set = set as? [String: Any] {
                    sets.append("\(set["family"]!) \(set["table"]!) \(set["name"]!) elements \((set["elem"] as? [Any])?.count ?? 0)")
                }
            }
        }

        init(_ ruleset: NFTRuleset) {
            tables = ruleset.tables.map { "\($0.family) \($0.name)" }
            chains = ruleset.chains.map { chain in
                var line = "\(chain.family) \(chain.table) \(chain.name)"
                if let base = chain.base { line += " type \(base.type) hook \(base.hook) prio \(base.priority) policy \(base.policy)" }
                return line
            }
            rules = ruleset.rules.map { "\($0.family) \($0.table) \($0.chain) handle \($0.handle)" }
            sets = ruleset.sets.filter { !$0.isAnonymous }.map { "\($0.family) \($0.table) \($0.name) elements \($0.elements.filter { !$0.isIntervalEnd }.count)" }
        }

        var description: String { (tables + chains + rules + sets).joined(separator: "\n") }
    }

    static let cases: [[Loader]] = [
        [.nft("firewalld")],
        [.nft("masquerade")],
        [.nft("forward-accepts-subnet")],
        [.nft("named-sets")],
        [.iptablesNFT("docker")],
        [.iptablesNFT("ufw"), .iptablesNFT("ufw-v6")],
        [.iptablesNFT("kube-proxy")],
        [.iptablesNFT("libvirt"), .iptablesNFT("router-v6")],
        [.iptablesNFT("docker"), .iptablesNFT("docker-v6"), .nft("firewalld"), .nft("masquerade")],
    ]

    @Test("the reader sees the tables, chains, hooks, priorities, policies and rule handles nft shows",
          nftablesTests, arguments: cases)
    func readerMatchesNft(_ loaders: [Loader]) throws {
        try withLoadedNamespace(loaders) { scratch, ruleset in
            let oracle = try Oracle(json: scratch.shell("nft -j list ruleset"))
            #expect(!oracle.tables.isEmpty)
            #expect(Oracle(ruleset) == oracle)
        }
    }

    @Test("an empty namespace has no tables, and its generation id moves with every change", nftablesTests)
    func emptyNamespaceAndGeneration() throws {
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            let empty = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(empty.tables.isEmpty && empty.chains.isEmpty && empty.rules.isEmpty)
            try scratch.shell("nft add table ip scratch")
            let after = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(after.tables == [NFTTable(family: .ip, name: "scratch", handle: after.tables.first?.handle ?? 0)])
            #expect(after.generation != empty.generation)
            #expect(try scratch.namespace.run { try NFTRuleset.readGeneration() } == after.generation)
        }
    }

    @Test("expressions decode as nft --debug=netlink shows them: iptables-nft's xt compat and native ones", nftablesTests)
    func expressionsDecode() throws {
        try withLoadedNamespace([.iptablesNFT("docker"), .nft("masquerade"), .nft("firewalld")]) { _, ruleset in
            // -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE (iptables-nft writes the
            // interface first)
            let postrouting = ruleset.rules.filter { $0.table == "nat" && $0.chain == "POSTROUTING" && $0.family == .ip }
            // struct nf_nat_ipv4_multi_range_compat with rangesize 1 and no flags, padded to 24.
            let masqueradeInfo: [UInt8] = [1, 0, 0, 0] + [UInt8](repeating: 0, count: 20)
            #expect(postrouting.count == 4)
            #expect(postrouting.first?.expressions == [
                .meta(key: .oifname, register: 1, isLoad: true),
                .cmp(register: 1, op: .neq, data: Array("docker0".utf8) + [0]),
                .payload(base: .network, offset: 12, length: 2, register: 1, isLoad: true),
                .cmp(register: 1, op: .eq, data: [172, 17]),
                .counter(packets: 0, bytes: 0),
                .target(name: "MASQUERADE", revision: 0, info: masqueradeInfo),
            ])
            #expect(postrouting.first?.description == "ip nat POSTROUTING handle \(postrouting.first?.handle ?? 0): [ meta load oifname => reg 1 ] [ cmp neq reg 1 0x6b636f64 0x00307265 ] [ payload load 2b @ network header + 12 => reg 1 ] [ cmp eq reg 1 0x000011ac ] [ counter pkts 0 bytes 0 ] [ target name MASQUERADE rev 0 ]")
            // -A DOCKER-USER -j RETURN; -A FORWARD -j DOCKER-USER
            let user = try #require(ruleset.rules.first { $0.chain == "DOCKER-USER" })
            #expect(user.verdict == .return)
            let forward = ruleset.rules.filter { $0.table == "filter" && $0.chain == "FORWARD" && $0.family == .ip }
            #expect(forward.first?.verdict == .jump("DOCKER-USER"))
            // -m conntrack --ctstate RELATED,ESTABLISHED: xt_conntrack_mtinfo3, match_flags STATE,
            // state_mask RELATED|ESTABLISHED (4|2) at 150.
            let conntrack = forward[2].expressions.compactMap { expression -> (String, UInt32, [UInt8])? in
                if case .match(let name, let revision, let info) = expression { (name, revision, info) } else { nil }
            }
            #expect(conntrack.map(\.0) == ["conntrack"])
            #expect(conntrack.first?.1 == 3)
            #expect(conntrack.first.map { Array($0.2[146..<152]) } == [1, 0, 0, 0, 6, 0])
            // ip saddr 10.0.0.0/8 oifname "eth0" counter masquerade
            let masquerade = try #require(ruleset.rules.first { $0.table == "othernat" })
            #expect(masquerade.expressions.first == .payload(base: .network, offset: 12, length: 1, register: 1, isLoad: true))
            #expect(masquerade.expressions.last == .masquerade)
            #expect(masquerade.verdict == .accept)
            // reject with icmpx admin-prohibited; ct state established,related accept
            let firewalld = ruleset.rules.filter { $0.table == "firewalld" && $0.chain == "filter_FORWARD" }
            #expect(firewalld.last?.expressions == [.reject(type: 2, code: 3)])
            // ct state { established, related }: an anonymous set of two 4-byte keys.
            guard case .lookup(let name, 1, nil, false)? = firewalld.first?.expressions.dropFirst().first else {
                Issue.record("no set lookup in \(firewalld.first?.description ?? "")")
                return
            }
            let set = try #require(ruleset.set(.inet, "firewalld", name))
            #expect(set.isAnonymous && !set.isInterval && set.keyLength == 4)
            #expect(Set(set.elements.map(\.key)) == [[2, 0, 0, 0], [4, 0, 0, 0]])
            // iifname vmap { "br-lan" : jump filter_FWD_lan }
            let vmap = try #require(ruleset.sets.first { $0.isMap && $0.table == "firewalld" })
            #expect(vmap.elements.map(\.verdict) == [.jump("filter_FWD_lan")])
            #expect(firewalld.first?.expressions.first == .ct(key: 0, register: 1, isLoad: true))
            #expect(firewalld.first?.verdict == .accept)
            let chain = try #require(ruleset.chain(.inet, "firewalld", "filter_FORWARD"))
            #expect(chain.base == NFTChain.Base(type: .filter, hook: .forward, priority: 10, policy: .drop))
        }
    }
}

/// What a failed netlink call tells the person running natgate.
@Suite("nftables errors")
struct ErrorTests {
    @Test("EPERM asks for root or CAP_NET_ADMIN; a kernel without nf_tables is named as such")
    func errorsSayWhatToDo() {
        let denied = NFTError.netlink(.init(call: "mnl_cb_run", request: "NFT_MSG_GETTABLE dump"), errno: EPERM)
        #expect(denied.kind == .permissionDenied)
        #expect(denied.description.contains("root or CAP_NET_ADMIN"))
        #expect(denied.description.hasPrefix("nftables NFT_MSG_GETTABLE dump (mnl_cb_run): "))
        #expect(denied.errno == EPERM)
        let missing = NFTError.netlink(.init(call: "mnl_socket_open"), errno: EPROTONOSUPPORT)
        #expect(missing.kind == .noNFTables)
        #expect(missing.description.contains("no nf_tables"))
        #expect(NFTError.netlink(.init(call: "mnl_cb_run", request: "NFT_MSG_GETGEN"), errno: EINVAL).kind == .noNFTables)
        #expect(NFTError.netlink(.init(call: "mnl_cb_run", request: "NFT_MSG_GETRULE dump"), errno: EINVAL).kind == .system)
    }
}
