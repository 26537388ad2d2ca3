import Glibc
@_spi(Testing) @testable import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// `restore(_:entries:options:)`: whole tables restored from model chains and kernel entries, as
/// iptables-legacy-restore restores them, with iptables-legacy-save as the oracle.
@Suite("Restore from entries")
struct EntryRestoreTests {
    /// What the kernel holds before each `--noflush` restore: rules in a built-in chain, a user
    /// chain the text replaces, and one it does not mention.
    static let existing = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :GW-POST - [0:0]
        [5:500] -A POSTROUTING -j GW-POST
        [6:600] -A GW-POST -s 10.1.0.0/24 -o eth0 -j MASQUERADE
        [7:700] -A GW-POST -s 10.2.0.0/24 -o eth0 -j MASQUERADE
        COMMIT
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :GW-FWD - [0:0]
        :KEEP - [0:0]
        [1:100] -A FORWARD -j GW-FWD
        [2:200] -A FORWARD -j KEEP
        [3:300] -A GW-FWD -s 10.1.0.0/24 -o eth0 -j ACCEPT
        [4:400] -A GW-FWD -s 10.2.0.0/24 -o eth0 -j ACCEPT
        [8:800] -A KEEP -s 192.0.2.0/24 -j DROP
        COMMIT

        """

    /// The text restored: nat and filter, user chains redeclared with one rule that stays, one
    /// gone and one new; a built-in chain appended to, with a new policy; a new user chain.
    static let text = """
        *nat
        :POSTROUTING ACCEPT [0:0]
        :GW-POST - [0:0]
        [60:6000] -A GW-POST -s 10.1.0.0/24 -o eth0 -m comment --comment "natgate enable 10.1.0.0/24 eth0" -j MASQUERADE
        [9:900] -A GW-POST -s 10.2.0.0/24 -o eth0 -j MASQUERADE
        [10:1000] -A GW-POST -s 10.3.0.0/24 -o eth0 -j MASQUERADE
        COMMIT
        *filter
        :FORWARD DROP [0:0]
        :GW-FWD - [0:0]
        :NEW - [0:0]
        [11:1100] -A FORWARD -j NEW
        [12:1200] -A GW-FWD -s 10.2.0.0/24 -o eth0 -j ACCEPT
        [13:1300] -A GW-FWD -s 10.3.0.0/24 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        [14:1400] -A GW-FWD -d 10.3.0.0/24 -i eth0 -m conntrack ! --ctstate DNAT -j DROP
        [15:1500] -A NEW -p tcp --dport 22 -j RETURN
        COMMIT

        """

    /// `text` as model tables without rules and each chain's rules as entries, counters included.
    static func split(_ text: String) throws -> (tables: [Table], entries: [TableName: [ChainName: EntryList]]) {
        var tables = try Ruleset(saveText: text, family: .ipv4).tables
        var entries: [TableName: [ChainName: EntryList]] = [:]
        let encoder = EntryEncoder(family: .ipv4, codecs: .standard)
        for t in tables.indices {
            for c in tables[t].chains.indices {
                var list = EntryList(family: .ipv4)
                for rule in tables[t].chains[c].rules {
                    list.append(try encoder.encode(rule, table: tables[t].name, chain: tables[t].chains[c].name, counters: true))
                }
                entries[tables[t].name, default: [:]][tables[t].chains[c].name] = list
                tables[t].chains[c].rules = []
            }
        }
        return (tables, entries)
    }

    static func save(_ scratch: ThrowawayNamespace, counters: Bool = false) throws -> String {
        try ["nat", "filter"].map { try scratch.shell("iptables-legacy-save \(counters ? "-c " : "")-t \($0)").withoutCommentLines }.joined()
    }

    static func backend(_ scratch: ThrowawayNamespace, _ lockPath: String) -> KernelBackend {
        KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
    }

    @Test("with flush and with --noflush, the kernel holds what iptables-legacy-restore leaves", kernelTests, arguments: [true, false])
    func sameAsIptablesLegacyRestore(flush: Bool) throws {
        try ThrowawayNamespace.with { legacy in
            try ThrowawayNamespace.with { natgate in
                let lockPath = privateLockPath()
                defer { unlink(lockPath) }
                for scratch in [legacy, natgate] { try scratch.shell("iptables-legacy-restore -w", input: Self.existing) }
                try legacy.shell("iptables-legacy-restore -w \(flush ? "" : "--noflush")", input: Self.text)
                let (tables, entries) = try Self.split(Self.text)
                let report = try Self.backend(natgate, lockPath).restore(tables, entries: entries, options: .init(flush: flush))
                #expect(report.tables.map(\.table) == [.nat, .filter])
                #expect(try Self.save(natgate) == Self.save(legacy))
                // The model path (text parsed into rules) goes through the same entries.
                try ThrowawayNamespace.with { model in
                    try model.shell("iptables-legacy-restore -w", input: Self.existing)
                    try Self.backend(model, lockPath).restore(try Ruleset(saveText: Self.text, family: .ipv4).tables, options: .init(flush: flush))
                    #expect(try Self.save(model) == Self.save(legacy))
                }
            }
        }
    }

    /// `text` with `count` gateways' rules appended to its user chains: lines of a few shapes, as
    /// the lean parse reads them from templates.
    static func manyShapes(_ count: Int) -> String {
        var nat: [String] = []
        var filter: [String] = []
        for index in 0..<count {
            let subnet = "10.\(100 + index >> 8).\(index & 0xFF).0/24"
            let counters = "[\(index):\(index * 64)] "
            nat.append("\(counters)-A GW-POST -s \(subnet) -o eth\(index % 3) -m comment --comment \"gw \(index)\" -j MASQUERADE")
            filter.append("\(counters)-A GW-FWD -s \(subnet) -o eth\(index % 3) -m comment --comment \"gw \(index)\" -j ACCEPT")
            filter.append("\(counters)-A GW-FWD -d \(subnet) -i eth\(index % 3) -m comment --comment \"gw \(index)\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        }
        return text
            .replacingOccurrences(of: "COMMIT\n*filter", with: nat.joined(separator: "\n") + "\nCOMMIT\n*filter")
            .replacingOccurrences(of: "[15:1500] -A NEW", with: filter.joined(separator: "\n") + "\n[15:1500] -A NEW")
    }

    @Test("the lean parse restores what iptables-legacy-restore does; built-in chains the text leaves out keep their policy", kernelTests, arguments: [true, false], [false, true])
    func leanSameAsIptablesLegacyRestore(flush: Bool, counters: Bool) throws {
        let text = Self.manyShapes(40)
        let lean = try #require(try LeanRuleset(saveText: text, family: .ipv4))
        #expect(lean.ruleCounts.lean >= 100)
        try ThrowawayNamespace.with { legacy in
            try ThrowawayNamespace.with { natgate in
                let lockPath = privateLockPath()
                defer { unlink(lockPath) }
                for scratch in [legacy, natgate] {
                    try scratch.shell("iptables-legacy-restore -w -c", input: Self.existing)
                    try scratch.shell("iptables-legacy -w -P INPUT DROP && iptables-legacy -w -P OUTPUT DROP")
                }
                try legacy.shell("iptables-legacy-restore -w \(flush ? "" : "--noflush") \(counters ? "-c" : "")", input: text)
                try Self.backend(natgate, lockPath).restore(lean, options: .init(flush: flush, counters: counters))
                #expect(try Self.save(natgate, counters: counters) == Self.save(legacy, counters: counters))
                #expect(try Self.save(natgate).contains(":INPUT DROP"))
            }
        }
    }

    @Test("--noflush: built-in chains appended to, declared user chains replaced, other chains kept, rules that stay keep their counters", kernelTests)
    func noflushKeepsWhatStays() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            try scratch.shell("iptables-legacy-restore -w -c", input: Self.existing)
            let (tables, entries) = try Self.split(Self.text)
            let report = try Self.backend(scratch, lockPath).restore(tables, entries: entries, options: .init(flush: false))
            let filter = try report.tables.first { $0.table == .filter }
            #expect(filter?.createdChains == [try ChainName("NEW")])
            #expect(filter?.policyChanges == 1)
            let save = try Self.save(scratch, counters: true)
            #expect(save.contains("""
                :FORWARD DROP [0:0]
                """))
            #expect(save.contains("""
                [1:100] -A FORWARD -j GW-FWD
                [2:200] -A FORWARD -j KEEP
                [0:0] -A FORWARD -j NEW
                [4:400] -A GW-FWD -s 10.2.0.0/24 -o eth0 -j ACCEPT
                [0:0] -A GW-FWD -s 10.3.0.0/24 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
                [0:0] -A GW-FWD -d 10.3.0.0/24 -i eth0 -m conntrack ! --ctstate DNAT -j DROP
                [8:800] -A KEEP -s 192.0.2.0/24 -j DROP
                [0:0] -A NEW -p tcp -m tcp --dport 22 -j RETURN

                """), "\(save)")
            #expect(save.contains("""
                [5:500] -A POSTROUTING -j GW-POST
                [0:0] -A GW-POST -s 10.1.0.0/24 -o eth0 -m comment --comment "natgate enable 10.1.0.0/24 eth0" -j MASQUERADE
                [7:700] -A GW-POST -s 10.2.0.0/24 -o eth0 -j MASQUERADE
                [0:0] -A GW-POST -s 10.3.0.0/24 -o eth0 -j MASQUERADE

                """), "\(save)")
        }
    }

    @Test("--counters sets the counters the entries (or rules) carry, on new rules and on rules that stay", kernelTests, arguments: [true, false])
    func countersSet(entriesPath: Bool) throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            try scratch.shell("iptables-legacy-restore -w -c", input: Self.existing)
            let (tables, entries) = try Self.split(Self.text)
            if entriesPath {
                try Self.backend(scratch, lockPath).restore(tables, entries: entries, options: .init(flush: false, counters: true))
            } else {
                try Self.backend(scratch, lockPath).restore(try Ruleset(saveText: Self.text, family: .ipv4).tables, options: .init(flush: false, counters: true))
            }
            let save = try Self.save(scratch, counters: true)
            #expect(save.contains("""
                [1:100] -A FORWARD -j GW-FWD
                [2:200] -A FORWARD -j KEEP
                [11:1100] -A FORWARD -j NEW
                [12:1200] -A GW-FWD -s 10.2.0.0/24 -o eth0 -j ACCEPT
                [13:1300] -A GW-FWD -s 10.3.0.0/24 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
                """), "\(save)")
            #expect(save.contains("""
                [9:900] -A GW-POST -s 10.2.0.0/24 -o eth0 -j MASQUERADE
                [10:1000] -A GW-POST -s 10.3.0.0/24 -o eth0 -j MASQUERADE
                """), "\(save)")
        }
    }

    @Test("a jump to a chain the table will not have is refused, named, and nothing changes", kernelTests, arguments: [true, false])
    func jumpToMissingChain(flush: Bool) throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            try scratch.shell("iptables-legacy-restore -w -c", input: Self.existing)
            let before = try Self.save(scratch, counters: true)
            // GW-FWD jumps to NOWHERE; with flush, FORWARD also still jumps to KEEP, which the
            // text does not declare (so the flush would delete it).
            let (tables, split) = try Self.split(Self.text)
            var entries = split
            let encoder = EntryEncoder(family: .ipv4, codecs: .standard)
            let gw = try ChainName("GW-FWD")
            entries[.filter]![gw]!.append(try encoder.encode(Rule(target: .jump(try ChainName("NOWHERE"))), table: .filter, chain: gw))
            if flush {
                entries[.filter]![.forward]!.append(try encoder.encode(Rule(target: .jump(try ChainName("KEEP"))), table: .filter, chain: .forward))
            }
            let error = #expect(throws: KernelError.self) {
                try Self.backend(scratch, lockPath).restore(tables, entries: entries, options: .init(flush: flush))
            }
            #expect(error?.kind == .refused)
            if flush {
                #expect(error?.message.contains("jumps to chain KEEP, which is not in the filter table") == true, "\(String(describing: error))")
                #expect(error?.operation.chain == "FORWARD")
                #expect(error?.operation.rulePosition == 2)
            } else {
                #expect(error?.message.contains("jumps to chain NOWHERE, which is not in the filter table") == true, "\(String(describing: error))")
                #expect(error?.operation.chain == "GW-FWD")
                #expect(error?.operation.rulePosition == 4)
            }
            #expect(try Self.save(scratch, counters: true) == before)
        }
    }

    @Test("a target in a table or hook the kernel refuses it in is refused before libiptc", kernelTests)
    func restrictedTarget() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            let before = try Self.save(scratch)
            // MASQUERADE in a nat chain reached from PREROUTING.
            let text = """
                *nat
                :PREROUTING ACCEPT [0:0]
                :INPUT ACCEPT [0:0]
                :OUTPUT ACCEPT [0:0]
                :POSTROUTING ACCEPT [0:0]
                :GW - [0:0]
                -A PREROUTING -j GW
                -A GW -s 10.1.0.0/24 -j MASQUERADE
                COMMIT

                """
            let (tables, entries) = try Self.split(text)
            let error = #expect(throws: KernelError.self) {
                try Self.backend(scratch, lockPath).restore(tables, entries: entries)
            }
            #expect(error?.kind == .refused)
            #expect(error?.message.contains("MASQUERADE is not allowed in chain GW (reached from PREROUTING)") == true, "\(String(describing: error))")
            #expect(try Self.save(scratch) == before)
        }
    }

    @Test("entries for a chain the tables do not declare, or of the other family, are refused", kernelTests)
    func misuseRefused() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            var (tables, entries) = try Self.split(Self.text)
            entries[.filter]![try ChainName("UNDECLARED")] = EntryList(family: .ipv4)
            let undeclared = #expect(throws: KernelError.self) {
                try Self.backend(scratch, lockPath).restore(tables, entries: entries)
            }
            #expect(undeclared?.message.contains("UNDECLARED") == true)
            entries[.filter]![try ChainName("UNDECLARED")] = nil
            entries[.filter]![try ChainName("NEW")] = EntryList(family: .ipv6)
            let family = #expect(throws: KernelError.self) {
                try Self.backend(scratch, lockPath).restore(tables, entries: entries)
            }
            #expect(family?.message.contains("ipv6") == true || family?.message.contains("IPv6") == true, "\(String(describing: family))")
            tables.append(tables[0])
            let twice = #expect(throws: KernelError.self) {
                try Self.backend(scratch, lockPath).restore(tables, entries: entries)
            }
            #expect(twice?.message.contains("twice") == true)
        }
    }

    @Test("when the second table fails, the first is put back: entries, counters and chains", kernelTests)
    func rollback() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            try scratch.shell("iptables-legacy-restore -w -c", input: Self.existing)
            let before = try Self.save(scratch, counters: true)
            var backend = Self.backend(scratch, lockPath)
            struct Refused: Error {}
            backend.testHooks.beforeCommit = { table, _ in if table == .filter { throw Refused() } }
            let (tables, entries) = try Self.split(Self.text)
            let error = #expect(throws: KernelError.self) {
                try backend.restore(tables, entries: entries, options: .init(flush: true))
            }
            #expect(error?.kind == .rolledBack, "\(String(describing: error))")
            #expect(try Self.save(scratch, counters: true) == before)
        }
    }

    @Test("EAGAIN: the table is read again and the text applied again to what another writer left (entries read back from libiptc)", kernelTests, arguments: [false, true])
    func eagainRetried(flush: Bool) throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            try scratch.shell("iptables-legacy-restore -w -c", input: Self.existing)
            var backend = Self.backend(scratch, lockPath)
            backend.testHooks.beforeCommit = { table, attempt in
                if table == .filter && attempt == 1 { try scratch.shell("iptables-legacy -w -A KEEP -s 198.51.100.0/24 -j DROP") }
            }
            let (tables, entries) = try Self.split(Self.text)
            let report = try backend.restore(tables, entries: entries, options: .init(flush: flush, counters: true))
            #expect(report.attempts == 2)
            let save = try Self.save(scratch, counters: true)
            if flush {
                try ThrowawayNamespace.with { legacy in
                    try legacy.shell("iptables-legacy-restore -w -c", input: Self.existing)
                    try legacy.shell("iptables-legacy-restore -w -c", input: Self.text)
                    #expect(try Self.save(legacy, counters: true) == save)
                }
            } else {
                #expect(save.contains("[8:800] -A KEEP -s 192.0.2.0/24 -j DROP\n[0:0] -A KEEP -s 198.51.100.0/24 -j DROP\n"), "\(save)")
                #expect(save.contains("""
                    [1:100] -A FORWARD -j GW-FWD
                    [2:200] -A FORWARD -j KEEP
                    [11:1100] -A FORWARD -j NEW
                    [12:1200] -A GW-FWD -s 10.2.0.0/24 -o eth0 -j ACCEPT
                    [13:1300] -A GW-FWD -s 10.3.0.0/24 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
                    [14:1400] -A GW-FWD -d 10.3.0.0/24 -i eth0 -m conntrack ! --ctstate DNAT -j DROP
                    """), "\(save)")
            }
        }
    }

    @Test("a table given twice (model rules) acts as in iptables-legacy-restore: the later replaces, or with --noflush adds to, the earlier", kernelTests, arguments: [true, false])
    func tableGivenTwice(flush: Bool) throws {
        let second = """
            *filter
            :FORWARD ACCEPT [0:0]
            :GW-FWD - [0:0]
            -A FORWARD -s 198.51.100.0/24 -j DROP
            -A GW-FWD -s 10.9.0.0/24 -j ACCEPT
            COMMIT

            """
        let text = Self.text + second
        // Parsed apart: the text parser itself keeps only a table's last block.
        let tables = try Ruleset(saveText: Self.text, family: .ipv4).tables + Ruleset(saveText: second, family: .ipv4).tables
        try ThrowawayNamespace.with { legacy in
            try ThrowawayNamespace.with { natgate in
                let lockPath = privateLockPath()
                defer { unlink(lockPath) }
                for scratch in [legacy, natgate] { try scratch.shell("iptables-legacy-restore -w", input: Self.existing) }
                try legacy.shell("iptables-legacy-restore -w \(flush ? "" : "--noflush")", input: text)
                try Self.backend(natgate, lockPath).restore(tables, options: .init(flush: flush))
                #expect(try Self.save(natgate) == Self.save(legacy))
            }
        }
    }

    @Test("restoring the same entries again changes nothing", kernelTests)
    func idempotent() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            let (tables, entries) = try Self.split(Self.text)
            let backend = Self.backend(scratch, lockPath)
            try backend.restore(tables, entries: entries)
            let again = try backend.restore(tables, entries: entries)
            #expect(!again.committed, "\(again)")
        }
    }
}
