import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

@Suite("Reading and writing tables")
struct ReadWriteTests {
    static let dockerish = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [0:0]
        :OUTPUT ACCEPT [0:0]
        :DOCKER - [0:0]
        :DOCKER-USER - [0:0]
        -A FORWARD -j DOCKER-USER
        -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A FORWARD -o docker0 -j DOCKER
        -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
        -A DOCKER-USER -j RETURN
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :DOCKER - [0:0]
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        -A DOCKER -i docker0 -j RETURN
        COMMIT

        """

    @Test("iptables-legacy-restore, then read: the model prints what iptables-legacy-save prints", kernelTests)
    func readMatchesIptablesSave() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy-restore", input: Self.dockerish)
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace)
            let tables = try backend.read([.filter, .nat])
            let text = Ruleset(family: .ipv4, tables: tables.map(\.withoutRuleCounters)).saveText()
            let oracle = try scratch.shell("iptables-legacy-save -t filter && iptables-legacy-save -t nat").withoutCommentLines
            #expect(text == oracle.split(separator: "\n").joined(separator: "\n") + "\n")
            #expect(tables[0][chain: .forward]?.policy == .drop)
            #expect(tables[0].chains.map(\.name.rawValue) == ["INPUT", "FORWARD", "OUTPUT", "DOCKER", "DOCKER-USER"])
        }
    }

    @Test("restore through natgate, then iptables-legacy-save prints the same text", kernelTests)
    func restoreThenSave() throws {
        try ThrowawayNamespace.with { scratch in
            let ruleset = try Ruleset(saveText: Self.dockerish, family: .ipv4)
            try KernelBackend(family: .ipv4, namespace: scratch.namespace).restore(ruleset.tables)
            let oracle = try scratch.shell("iptables-legacy-save -t filter && iptables-legacy-save -t nat").withoutCommentLines
            #expect(oracle.split(separator: "\n").joined(separator: "\n") + "\n" == ruleset.saveText())
        }
    }

    @Test("an update touches only what changed: foreign rules keep their counters", kernelTests)
    func foreignRulesKeepCounters() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy-restore --counters", input: """
                *filter
                :INPUT ACCEPT [0:0]
                :FORWARD ACCEPT [5:500]
                :OUTPUT ACCEPT [0:0]
                [7:700] -A FORWARD -i docker0 -j ACCEPT
                [8:800] -A FORWARD -o docker0 -j ACCEPT
                COMMIT

                """)
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace)
            let report = try backend.update(table: .filter) { table in
                let chain = try ChainName("NATGATE-FWD")
                table[chain: chain] = Chain(name: chain, rules: [Rule(outInterface: Negatable(try InterfaceName("eth0")), target: .accept)])
                table[chain: .forward]!.rules.insert(Rule(target: .jump(chain)), at: 1)
            }
            #expect(report.tables.first?.insertedRules == 2)
            #expect(report.tables.first?.deletedRules == 0)
            let save = try scratch.shell("iptables-legacy-save -c -t filter")
            #expect(save.contains("[7:700] -A FORWARD -i docker0 -j ACCEPT\n[0:0] -A FORWARD -j NATGATE-FWD\n[8:800] -A FORWARD -o docker0 -j ACCEPT"))
            #expect(save.contains(":FORWARD ACCEPT [5:500]"))

            // Taking it out again restores the original rules, counters untouched.
            try backend.update(table: .filter) { table in
                table[chain: .forward]!.rules.remove(at: 1)
                table[chain: try ChainName("NATGATE-FWD")] = nil
            }
            let after = try scratch.shell("iptables-legacy-save -c -t filter")
            #expect(after.contains("[7:700] -A FORWARD -i docker0 -j ACCEPT\n[8:800] -A FORWARD -o docker0 -j ACCEPT\nCOMMIT"))
            #expect(!after.contains("NATGATE"))
        }
    }

    @Test("an update that changes nothing commits nothing", kernelTests)
    func noChangeNoCommit() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy -t nat -A POSTROUTING -o eth0 -j MASQUERADE")
            let report = try KernelBackend(family: .ipv4, namespace: scratch.namespace).update(tables: [.nat, .filter]) { _ in }
            #expect(!report.committed)
        }
    }

    @Test("unknown extensions are carried byte for byte through a change around them", kernelTests)
    func unknownExtensionsSurvive() throws {
        try ThrowawayNamespace.with { scratch in
            // Extensions natgate has no codec for.
            try scratch.shell("iptables-legacy -A INPUT -m length --length 100:200 -j ACCEPT")
            try scratch.shell("iptables-legacy -A INPUT -p tcp -j TEE --gateway 192.0.2.1 || iptables-legacy -A INPUT -m ttl --ttl-gt 3 -j TOS --set-tos 0x10 || true")
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace)
            let before = try backend.rawEntries(.filter).map { $0.comparableBytes() }
            let table = try backend.read(.filter)
            #expect(table[chain: .input]?.rules.first?.matches.first?.isTyped == false)
            // Rewrite the whole chain from the model: flush and append every rule again.
            try backend.update(table: .filter) { current in
                let rules = current[chain: .input]!.rules
                current[chain: .input]!.rules = [Rule(target: .drop)] + rules
            }
            try backend.update(table: .filter) { current in current[chain: .input]!.rules.removeFirst() }
            // Force a rewrite of the unknown rules themselves: delete and re-add them.
            try backend.update(table: .filter) { current in current[chain: .input]!.rules = [] }
            try backend.update(table: .filter) { current in current[chain: .input]!.rules = table[chain: .input]!.rules }
            let after = try backend.rawEntries(.filter)
            #expect(after.count == before.count)
            for (entry, original) in zip(after, before) {
                #expect(entry.comparableBytes() == original, "\(ByteIdentityCase.diff(entry.comparableBytes(), original))\n\(entry.hexDump)")
            }
        }
    }
}
