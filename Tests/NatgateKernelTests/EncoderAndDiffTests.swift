@testable import NatgateKernel
import NatgateModel
import Testing

/// The encoder and the diff on their own: no kernel, no root.
@Suite("Encoder and diff (no kernel)")
struct EncoderAndDiffTests {
    @Test("entry layouts are those of the C headers iptables-legacy was built with")
    func layouts() {
        #expect(EntryLayout.ipv4.headerSize == 112)
        #expect(EntryLayout.ipv6.headerSize == 168)
        #expect(EntryLayout.ipv4.targetOffset == 88 && EntryLayout.ipv4.counters == 96)
        #expect(EntryLayout.ipv6.targetOffset == 140 && EntryLayout.ipv6.counters == 152)
        #expect(EntryLayout.standardTargetSize == 40)
    }

    @Test("interface masks: the name and its NUL, or the stem of a wildcard")
    func interfaceMasks() throws {
        let encoder = EntryEncoder(family: .ipv4, codecs: .standard)
        let rule = Rule(inInterface: Negatable(try InterfaceName("eth0")), outInterface: .not(try InterfaceName("veth+")), target: .accept)
        let entry = try encoder.encode(rule, table: .filter, chain: .forward)
        let layout = EntryLayout.ipv4
        #expect(Array(entry[layout.inInterface..<layout.inInterface + 6]) == Array("eth0".utf8) + [0, 0])
        #expect(Array(entry[layout.inInterfaceMask..<layout.inInterfaceMask + 6]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0])
        #expect(Array(entry[layout.outInterface..<layout.outInterface + 6]) == Array("veth+".utf8) + [0])
        #expect(Array(entry[layout.outInterfaceMask..<layout.outInterfaceMask + 6]) == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0])
        #expect(entry[layout.invertFlags] == EntryLayout.invertOut)
        #expect(entry.count == 112 + 40)
        #expect(entry.loadU16(at: layout.targetOffset) == 112 && entry.loadU16(at: layout.nextOffset) == 152)
    }

    @Test("a goto sets the family's goto flag; -p sets IP6T_F_PROTO for IPv6")
    func flags() throws {
        let chain = try ChainName("NATGATE-FWD")
        let v4 = try EntryEncoder(family: .ipv4, codecs: .standard).encode(Rule(target: .goto(chain)), table: .filter, chain: .forward)
        #expect(v4[EntryLayout.ipv4.flags] == 0x02)
        let v6 = try EntryEncoder(family: .ipv6, codecs: .standard).encode(Rule(ipProtocol: Negatable(.tcp), target: .goto(chain)), table: .filter, chain: .forward)
        #expect(v6[EntryLayout.ipv6.flags] == 0x04 | 0x01)
        #expect(v6.loadU16(at: EntryLayout.ipv6.proto) == 6)
    }

    @Test("encode then decode gives the rule back")
    func roundTrip() throws {
        // (rule text, table, chain, the label libiptc gives its target)
        let cases: [(String, TableName, ChainName, String)] = [
            ("-s 10.200.1.0/24 ! -o eth0 -m comment --comment \"x y\" -j MASQUERADE", .nat, .postrouting, "MASQUERADE"),
            ("! -p udp -f -j DROP", .filter, .input, "DROP"),
            ("-d 192.0.2.0/255.255.0.255 -i veth+", .filter, .forward, ""),
        ]
        for (text, table, chain, label) in cases {
            let rule = try Rule(saveArguments: text, family: .ipv4, table: table, chain: chain)
            var bytes = try EntryEncoder(family: .ipv4, codecs: .standard).encode(rule, table: table, chain: chain)
            if case .verdict = rule.target {
                // libiptc turns a verdict's name into the standard target's empty name and a verdict number.
                let target = Int(bytes.loadU16(at: EntryLayout.ipv4.targetOffset))
                for i in (target + 2)..<(target + 31) { bytes[i] = 0 }
            }
            let decoded = try EntryDecoder(family: .ipv4, codecs: .standard).decode(bytes, targetLabel: label, table: table, chain: chain.rawValue)
            #expect(decoded.withoutCounters == rule, "\(text)")
        }
    }

    @Test("untyped extensions without kernel bytes are refused, with a reason")
    func untypedRefused() throws {
        let rule = try Rule(saveArguments: "-m natgatenosuch --x 1 -j ACCEPT", family: .ipv4)
        let error = #expect(throws: KernelError.self) {
            try EntryEncoder(family: .ipv4, codecs: .standard).encode(rule, table: .filter, chain: .input)
        }
        #expect(error?.kind == .refused)
        #expect(error?.message.contains("-m natgatenosuch") == true)
    }

    static func rule(_ n: Int) -> Rule {
        Rule(source: Negatable(.v4(IPv4Network(masking: IPv4Address(10, 0, UInt8(n), 0), prefixLength: 24))), target: .accept)
    }

    @Test("one rule inserted in the middle is one insertion; counters do not count as a change")
    func middleInsertion() {
        var old = (0..<100).map(Self.rule)
        for i in old.indices { old[i].counters = Counters(packets: UInt64(i), bytes: 1) }
        var new = (0..<100).map(Self.rule)
        new.insert(Self.rule(200), at: 40)
        let edit = TableChanges.edit(.forward, from: old, to: new)
        #expect(edit?.removals == [])
        #expect(edit?.insertions.map(\.position) == [40])
        #expect(TableChanges.edit(.forward, from: old, to: (0..<100).map(Self.rule)) == nil)
    }

    @Test("replacements and moves become removals (descending) and insertions (ascending)")
    func replacements() {
        let old = [0, 1, 2, 3, 4, 5].map(Self.rule)
        let new = [0, 9, 2, 4, 3, 5, 8].map(Self.rule)
        let edit = TableChanges.edit(.forward, from: old, to: new)!
        #expect(edit.removals == edit.removals.sorted(by: >))
        #expect(edit.insertions.map(\.position) == edit.insertions.map(\.position).sorted())
        // Applying the edit to the old rules gives the new ones.
        var rules = old
        for position in edit.removals { rules.remove(at: position) }
        for insertion in edit.insertions { rules.insert(insertion.rule, at: insertion.position) }
        #expect(rules == new)
        #expect(edit.removals.count == 2 && edit.insertions.count == 3)
    }

    @Test("chains: created, deleted, policies")
    func chains() throws {
        let old = Table(name: .filter, family: .ipv4, chains: [
            Chain(name: .input, policy: .accept), Chain(name: .forward, policy: .accept), Chain(name: .output, policy: .accept),
            Chain(name: try ChainName("OLD"), rules: [Rule(target: .accept)]),
        ])
        var new = Table.empty(.filter, family: .ipv4)
        new[chain: .forward]!.policy = .drop
        new[chain: try ChainName("NEW")] = Chain(name: try ChainName("NEW"), rules: [Rule(target: .drop)])
        let changes = TableChanges(from: old, to: new)
        #expect(changes.createdChains.map(\.rawValue) == ["NEW"])
        #expect(changes.deletedChains.map(\.rawValue) == ["OLD"])
        #expect(changes.policies.map(\.chain) == [.forward])
        #expect(changes.insertedRules == 1)
    }
}
