import Foundation
import NatgateKernel
import NatgateModel
@testable import NatgateNFTables
import Testing
import NatgateLab

/// The proof that natgate writes into iptables-nft's tables exactly what iptables-nft writes: each
/// fixture is loaded with `iptables-nft-restore` in one throwaway namespace and written with
/// natgate's encoder and batch in another; both are read back with natgate's reader and compared
/// rule by rule, attribute by attribute (counters' values and handles aside), and
/// `iptables-nft-save` must print both namespaces the same.
@Suite("nftables writer: natgate writes what iptables-nft writes")
struct WriterProofTests {
    /// A fixture and the family its text is in.
    struct Fixture: CustomStringConvertible, Sendable {
        var path: String
        var family: Family
        var description: String { path }
    }

    static let policyFixtures: [Fixture] = fixtures(in: "policies/per-rule") { $0.hasPrefix("ipv6") ? .ipv6 : .ipv4 }
    static let hostFixtures: [Fixture] = fixtures(in: "hosts") { $0.contains("-v6") ? .ipv6 : .ipv4 }

    static func fixtures(in folder: String, family: (String) -> Family) -> [Fixture] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixturePath(folder))) ?? []
        return names.filter { $0.hasSuffix(".rules") }.sorted().map { Fixture(path: "\(folder)/\($0)", family: family($0)) }
    }

    /// A rule as compared: where it is and every attribute but the handle and the counter's values.
    static func comparable(_ ruleset: NFTRuleset) -> [String] {
        ruleset.rules.map { rule in
            let expressions = rule.expressions.map { expression -> String in
                switch expression {
                case .counter: "[ counter ]"
                case .match(let name, let revision, let info): "[ match name \(name) rev \(revision) info \(hexWords(info)) ]"
                case .target(let name, let revision, let info): "[ target name \(name) rev \(revision) info \(hexWords(info)) ]"
                case .cmp(let register, let op, let data): "[ cmp \(op) reg \(register) \(data.count)b \(hexWords(data)) ]"
                default: "[ \(expression) ]"
                }
            }
            return "\(rule.family) \(rule.table) \(rule.chain) compat \(rule.compat.map { "\($0.ipProtocol)/\($0.flags)" } ?? "-") userdata \(rule.userData.map { hexWords($0) } ?? "-"): " + expressions.joined(separator: " ")
        }
    }

    static func chains(_ ruleset: NFTRuleset) -> [String] {
        ruleset.chains.map(\.description).sorted()
    }

    /// iptables-nft-save's text without its `#` lines (they carry the time).
    static func save(_ scratch: ThrowawayNamespace, _ family: Family) throws -> String {
        try scratch.shell(family == .ipv4 ? "iptables-nft-save" : "ip6tables-nft-save")
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }

    /// Loads `fixture` both ways and compares; returns the number of rules compared.
    @discardableResult
    static func prove(_ fixture: Fixture) throws -> Int {
        try prove(fixture, text: String(contentsOfFile: fixturePath(fixture.path), encoding: .utf8))
    }

    /// Proves `text` (in `fixture.family`), restored from a temporary file.
    @discardableResult
    static func prove(_ fixture: Fixture, text: String) throws -> Int {
        let model = try Ruleset(saveText: text, family: fixture.family)
        var batch = NFTBatch()
        try batch.addTables(of: model)
        return try ThrowawayNamespace.with(prefix: "natgate-nftw") { reference in
            try ThrowawayNamespace.with(prefix: "natgate-nftw") { natgate in
                let tool = fixture.family == .ipv4 ? "iptables-nft-restore" : "ip6tables-nft-restore"
                try reference.shell("\(tool)", input: text)
                try natgate.namespace.run { try batch.commit() }
                let expected = try reference.namespace.run { try NFTRuleset.read() }
                let written = try natgate.namespace.run { try NFTRuleset.read() }
                let expectedRules = comparable(expected), writtenRules = comparable(written)
                #expect(!expectedRules.isEmpty)
                #expect(writtenRules.count == expectedRules.count, "\(fixture): rule count")
                for (index, (mine, theirs)) in zip(writtenRules, expectedRules).enumerated() where mine != theirs {
                    Issue.record("\(fixture) rule \(index):\n natgate:      \(mine)\n iptables-nft: \(theirs)")
                }
                #expect(chains(written) == chains(expected), "\(fixture): chains")
                // natgate's decoder reads iptables-nft's own rules as the fixture's rules.
                let decoder = NFTRuleDecoder()
                for table in model.tables {
                    for chain in table.chains {
                        let theirs = expected.rules.filter { $0.table == table.name.rawValue && $0.chain == chain.name.rawValue }
                        let read = try theirs.map { try decoder.decode($0).withoutCounters }
                        #expect(read == chain.rules.map(\.withoutCounters), "\(fixture) \(table.name) \(chain.name): decoded")
                    }
                }
                #expect(try save(natgate, fixture.family) == save(reference, fixture.family), "\(fixture): iptables-nft-save")
                return expectedRules.count
            }
        }
    }

    @Test("every rule kind natgate writes (Fixtures/policies/per-rule) is written exactly as iptables-nft-restore writes it",
          nftablesTests, arguments: policyFixtures)
    func policies(_ fixture: Fixture) throws {
        try WriterProofTests.prove(fixture)
    }

    static let setPolicyFixtures: [Fixture] = fixtures(in: "policies") { $0.hasPrefix("ipv6") ? .ipv6 : .ipv4 }

    /// The set datapath's rules (`-m set --match-set natgate-… src,dst`): iptables-nft writes the
    /// xt `set` match, revision 4, through nft_compat, its payload holding the set's index in the
    /// namespace. Both namespaces get the fixture's sets first (`ipset restore` of its lines, in
    /// order, so the indexes agree); natgate encodes inside its namespace.
    @Test("the set datapath's rules (Fixtures/policies) are written exactly as iptables-nft-restore writes them",
          nftablesTests, arguments: setPolicyFixtures)
    func setPolicies(_ fixture: Fixture) throws {
        let text = try String(contentsOfFile: fixturePath(fixture.path), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let sets = lines.filter { $0.hasPrefix("create ") || $0.hasPrefix("add ") }.joined(separator: "\n") + "\n"
        let tables = lines.filter { !($0.hasPrefix("create ") || $0.hasPrefix("add ")) }.joined(separator: "\n")
        #expect(tables.contains("-m set --match-set"))
        let model = try Ruleset(saveText: tables, family: fixture.family)
        try ThrowawayNamespace.with(prefix: "natgate-nftw") { reference in
            try ThrowawayNamespace.with(prefix: "natgate-nftw") { natgate in
                try reference.shell("ipset restore", input: sets)
                try natgate.shell("ipset restore", input: sets)
                try reference.shell(fixture.family == .ipv4 ? "iptables-nft-restore" : "ip6tables-nft-restore", input: tables)
                try natgate.namespace.run {
                    var batch = NFTBatch()
                    try batch.addTables(of: model)
                    try batch.commit()
                }
                let expected = try reference.namespace.run { try NFTRuleset.read() }
                let written = try natgate.namespace.run { try NFTRuleset.read() }
                let expectedRules = WriterProofTests.comparable(expected), writtenRules = WriterProofTests.comparable(written)
                #expect(expectedRules.contains { $0.contains("[ match name set rev 4") }, "iptables-nft writes -m set as an xt match")
                #expect(writtenRules == expectedRules)
                // natgate's decoder reads iptables-nft's own rules back as the fixture's, set names included.
                let decoded = try reference.namespace.run { () throws -> [Rule] in
                    try expected.rules.filter { $0.chain.hasPrefix("NATGATE") }.map { try NFTRuleDecoder().decode($0).withoutCounters }
                }
                let want = model.tables.flatMap { $0.chains.filter { $0.name.rawValue.hasPrefix("NATGATE") }.flatMap { $0.rules.map(\.withoutCounters) } }
                #expect(Set(decoded.map(\.description)) == Set(want.map(\.description)))
                #expect(try WriterProofTests.save(natgate, fixture.family) == WriterProofTests.save(reference, fixture.family))
            }
        }
    }

    @Test("every rule of the host fixtures (Docker, kube-proxy, libvirt, ufw, routers) is written exactly as iptables-nft-restore writes it",
          nftablesTests, arguments: hostFixtures)
    func hosts(_ fixture: Fixture) throws {
        try WriterProofTests.prove(fixture)
    }

    /// The encodings the fixtures do not all reach: a prefix that is not byte-aligned (bitwise),
    /// a wildcard, negated address, interface and protocol,
    /// `-f` and `! -f`, port ranges, a negated port, source and destination ports compared
    /// together, TCP flags, `-m udp` with nothing to test (stays xt), limit, mark with and
    /// without a mask, a goto and a rule without a target.
    static let edgeCasesV4Text = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [0:0]
        :OUTPUT ACCEPT [0:0]
        :EDGE - [0:0]
        -A INPUT -s 10.0.0.0/25 -i veth+ -j ACCEPT
        -A INPUT -d 10.0.0.0/255.0.255.0 -j ACCEPT
        -A INPUT -p tcp -m tcp --sport 1024:65535 --dport 22 -j ACCEPT
        -A INPUT -p tcp -m tcp ! --dport 1000:2000 -j DROP
        -A INPUT -p udp -m udp --sport 547 --dport 546 -j ACCEPT
        -A INPUT -p udp -m udp ! --sport 53 ! --dport 53 -j ACCEPT
        -A INPUT -p udp -m udp -j ACCEPT
        -A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
        -A INPUT -m limit --limit 7/hour --limit-burst 9 -j ACCEPT
        -A INPUT -m mark --mark 0x4000/0x4000 -j ACCEPT
        -A INPUT -m mark ! --mark 0x2a -j ACCEPT
        -A INPUT -f -j DROP
        -A INPUT ! -f -j EDGE
        -A OUTPUT -o lo+ -j ACCEPT
        -A FORWARD ! -s 10.0.0.1/32 ! -i eth0 ! -o eth1 ! -p tcp -g EDGE
        -A EDGE
        COMMIT

        """

    static let edgeCasesV6Text = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A INPUT -s fd00::/65 -j ACCEPT
        -A INPUT ! -d fd00:1::/48 -i ppp+ -p ipv6-icmp -j ACCEPT
        -A FORWARD -s ::/0 -o eth0 -p udp -m udp --dport 100:200 -j RETURN
        COMMIT

        """

    @Test("edge cases of the encoding (bitwise prefixes, wildcards, negations, fragments, ports, flags, limit, mark, goto) are written as iptables-nft writes them",
          nftablesTests, arguments: [(Family.ipv4, edgeCasesV4Text), (.ipv6, edgeCasesV6Text)])
    func edgeCases(_ family: Family, _ text: String) throws {
        try WriterProofTests.prove(Fixture(path: "edge cases \(family)", family: family), text: text)
    }
}
