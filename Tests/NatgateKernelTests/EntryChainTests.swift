import Glibc
@_spi(Testing) @testable import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// `update(tables:entryChains:_:)`: one chain's rules handled as kernel entries.
@Suite("Transactions over entries")
struct EntryChainTests {
    static let chain = try! ChainName("OWN")

    static let setup = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :OWN - [0:0]
        [7:700] -A FORWARD -j OWN
        [1:100] -A FORWARD -s 192.0.2.0/24 -j DROP
        [11:1100] -A OWN -s 10.1.0.0/16 -j ACCEPT
        [22:2200] -A OWN -s 10.2.0.0/16 -j ACCEPT
        [33:3300] -A OWN -s 10.3.0.0/16 -m comment --comment three -j ACCEPT
        COMMIT

        """

    static func rule(_ text: String) -> Rule {
        try! Rule(saveArguments: text, family: .ipv4, table: .filter)
    }

    static func entry(_ text: String, chain: ChainName = chain) -> [UInt8] {
        try! EntryEncoder(family: .ipv4, codecs: .standard).encode(rule(text), table: .filter, chain: chain)
    }

    @Test("entries that stay keep their counters; the rest is deleted and inserted in place", kernelTests)
    func editInPlace() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            _ = try scratch.shell("iptables-legacy-restore -c", input: Self.setup)
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            let report = try backend.update(tables: [.filter], entryChains: [.filter: Self.chain]) { tables, entries in
                let own = tables[.filter]![chain: Self.chain]
                #expect(own != nil && own!.rules.isEmpty)
                let old = entries[.filter]!
                #expect(old.count == 3)
                #expect(old.counters(1) == Counters(packets: 22, bytes: 2200))
                // Drop the second rule, add one in front and one between the others.
                var new = EntryList(family: .ipv4)
                new.append(Self.entry("-s 10.0.0.0/16 -j ACCEPT"))
                new.append(0, of: old)
                new.append(Self.entry("-s 10.9.0.0/16 -j RETURN"))
                new.append(2, of: old)
                entries[.filter] = new
            }
            #expect(report.tables[0].insertedRules == 2)
            #expect(report.tables[0].deletedRules == 1)
            let save = try scratch.shell("iptables-legacy-save -c -t filter")
            #expect(save.contains("""
                [7:700] -A FORWARD -j OWN
                [1:100] -A FORWARD -s 192.0.2.0/24 -j DROP
                [0:0] -A OWN -s 10.0.0.0/16 -j ACCEPT
                [11:1100] -A OWN -s 10.1.0.0/16 -j ACCEPT
                [0:0] -A OWN -s 10.9.0.0/16 -j RETURN
                [33:3300] -A OWN -s 10.3.0.0/16 -m comment --comment three -j ACCEPT

                """))
        }
    }

    @Test("entries read back from the kernel compare equal to natgate's own encoding", kernelTests)
    func kernelBytesCompareEqual() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            _ = try scratch.shell("iptables-legacy-restore -c", input: Self.setup)
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            let report = try backend.update(tables: [.filter], entryChains: [.filter: Self.chain]) { _, entries in
                let old = entries[.filter]!
                var mine = EntryList(family: .ipv4)
                for text in ["-s 10.1.0.0/16 -j ACCEPT", "-s 10.2.0.0/16 -j ACCEPT", "-s 10.3.0.0/16 -m comment --comment three -j ACCEPT"] {
                    mine.append(Self.entry(text))
                }
                for index in 0..<3 { #expect(old.sameRule(index, as: index, of: mine)) }
                #expect(!old.sameRule(0, as: 1, of: mine))
                entries[.filter] = mine
            }
            #expect(!report.committed)
        }
    }

    @Test("entries read from the kernel can be moved: their verdicts survive being inserted again", kernelTests)
    func moveKernelEntries() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            _ = try scratch.shell("iptables-legacy-restore -c", input: Self.setup)
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            try backend.update(tables: [.filter], entryChains: [.filter: Self.chain]) { _, entries in
                let old = entries[.filter]!
                var new = EntryList(family: .ipv4)
                for index in [2, 0, 1] { new.append(index, of: old) }
                entries[.filter] = new
            }
            #expect(try scratch.shell("iptables-legacy-save -t filter").contains("""
                -A OWN -s 10.3.0.0/16 -m comment --comment three -j ACCEPT
                -A OWN -s 10.1.0.0/16 -j ACCEPT
                -A OWN -s 10.2.0.0/16 -j ACCEPT

                """))
        }
    }

    @Test("a chain is created and deleted through the model, its rules set as entries", kernelTests)
    func createAndDelete() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            let fresh = try ChainName("FRESH")
            try backend.update(tables: [.filter], entryChains: [.filter: fresh]) { tables, entries in
                #expect(entries[.filter]!.isEmpty)
                tables[.filter]![chain: fresh] = Chain(name: fresh)
                tables[.filter]![chain: .forward]!.rules.append(Rule(target: .jump(fresh)))
                var list = EntryList(family: .ipv4)
                list.append(Self.entry("-s 10.5.0.0/16 -j ACCEPT", chain: fresh))
                list.append(Self.entry("-d 10.5.0.0/16 -j ACCEPT", chain: fresh))
                entries[.filter] = list
            }
            #expect(try scratch.shell("iptables-legacy-save -t filter").contains("""
                -A FORWARD -j FRESH
                -A FRESH -s 10.5.0.0/16 -j ACCEPT
                -A FRESH -d 10.5.0.0/16 -j ACCEPT

                """))
            try backend.update(tables: [.filter], entryChains: [.filter: fresh]) { tables, entries in
                #expect(entries[.filter]!.count == 2)
                tables[.filter]![chain: .forward]!.rules.removeAll()
                tables[.filter]![chain: fresh] = nil
                entries[.filter] = EntryList(family: .ipv4)
            }
            let save = try scratch.shell("iptables-legacy-save -t filter")
            #expect(!save.contains("FRESH"))
        }
    }

    @Test("model rules in the entry chain, or entries for a missing chain, are refused and nothing changes", kernelTests)
    func misuseRefused() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            _ = try scratch.shell("iptables-legacy-restore -c", input: Self.setup)
            let before = try scratch.shell("iptables-legacy-save -c -t filter | grep -v '^#'")
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            let modelRules = #expect(throws: KernelError.self) {
                try backend.update(tables: [.filter], entryChains: [.filter: Self.chain]) { tables, _ in
                    tables[.filter]![chain: Self.chain]!.rules.append(Self.rule("-j ACCEPT"))
                }
            }
            #expect(modelRules?.kind == .refused)
            let missing = #expect(throws: KernelError.self) {
                try backend.update(tables: [.filter], entryChains: [.filter: Self.chain]) { tables, entries in
                    tables[.filter]![chain: .forward]!.rules.removeAll()
                    tables[.filter]![chain: Self.chain] = nil
                    var list = EntryList(family: .ipv4)
                    list.append(Self.entry("-j ACCEPT"))
                    entries[.filter] = list
                }
            }
            #expect(missing?.kind == .refused)
            #expect(missing?.message.contains("OWN") == true)
            #expect(try scratch.shell("iptables-legacy-save -c -t filter | grep -v '^#'") == before)
        }
    }

    @Test("when a later table fails, the entry chain of the committed table is put back", kernelTests)
    func rollbackRestoresEntries() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            _ = try scratch.shell("iptables-legacy-restore -c", input: Self.setup)
            let before = try scratch.shell("iptables-legacy-save -t filter | grep -v '^#'")
            var backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            struct Refused: Error {}
            backend.testHooks.beforeCommit = { table, _ in if table == .nat { throw Refused() } }
            let error = #expect(throws: KernelError.self) {
                try backend.update(tables: [.filter, .nat], entryChains: [.filter: Self.chain]) { tables, entries in
                    var list = EntryList(family: .ipv4)
                    list.append(Self.entry("-s 10.7.0.0/16 -j ACCEPT"))
                    entries[.filter] = list
                    tables[.nat]![chain: .postrouting]!.rules.append(masqueradeRule)
                }
            }
            #expect(error?.kind == .rolledBack, "\(String(describing: error))")
            #expect(try scratch.shell("iptables-legacy-save -t filter | grep -v '^#'") == before)
        }
    }
}
