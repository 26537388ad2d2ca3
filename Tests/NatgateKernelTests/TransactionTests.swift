import Foundation
import Synchronization
import Glibc
@_spi(Testing) import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

@Suite("Transactions: retries, locking, rollback")
struct TransactionTests {
    @Test("a commit that meets EAGAIN reads the table again, re-runs the change and commits", kernelTests)
    func eagainIsRetried() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            var backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            // Between natgate's read and its commit, another writer (one that ignores natgate's
            // lock file) adds a rule: the entry count changes, so the kernel refuses natgate's
            // first commit with EAGAIN.
            backend.testHooks.beforeCommit = { table, attempt in
                if attempt == 1 { try scratch.shell("iptables-legacy -w -t nat -A POSTROUTING -s 192.0.2.0/24 -j ACCEPT") }
            }
            let runs = Counter()
            let report = try backend.update(table: .nat) { table in
                runs.increment()
                table[chain: .postrouting]!.rules.append(masqueradeRule)
            }
            #expect(report.attempts == 2)
            #expect(runs.value == 2)
            let save = try scratch.shell("iptables-legacy-save -t nat")
            #expect(save.contains("-A POSTROUTING -s 192.0.2.0/24 -j ACCEPT\n-A POSTROUTING -s 10.200.1.0/24 -o eth0 -j MASQUERADE\n"))
        }
    }

    @Test("EAGAIN on the second table re-reads only it: the first table's change is not applied twice", kernelTests)
    func eagainOnSecondTable() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            var backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            backend.testHooks.beforeCommit = { table, attempt in
                if table == .filter && attempt == 1 { try scratch.shell("iptables-legacy -w -A FORWARD -s 192.0.2.0/24 -j DROP") }
            }
            let runs = Counter()
            let report = try backend.update(tables: [.nat, .filter]) { tables in
                runs.increment()
                // Appends: a closure that ran twice on the committed nat table would add two rules.
                tables[.nat]![chain: .postrouting]!.rules.append(masqueradeRule)
                tables[.filter]![chain: .forward]!.rules.append(Rule(outInterface: Negatable(InterfaceName(valid: "eth0")), target: .accept))
            }
            #expect(runs.value == 2)
            #expect(report.attempts == 2)
            #expect(report.tables.map(\.committed) == [true, true])
            let nat = try scratch.shell("iptables-legacy-save -t nat")
            #expect(nat.components(separatedBy: "-j MASQUERADE").count - 1 == 1)
            let filter = try scratch.shell("iptables-legacy-save -t filter")
            #expect(filter.contains("-A FORWARD -s 192.0.2.0/24 -j DROP\n-A FORWARD -o eth0 -j ACCEPT\n"))
        }
    }

    @Test("the closure can choose the commit order after reading; EAGAIN on the second table re-reads only it and keeps the order", kernelTests)
    func commitOrderChosenAfterReading() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            var backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            let commits = Mutex<[TableName]>([])
            backend.testHooks.beforeCommit = { table, attempt in
                commits.withLock { $0.append(table) }
                if table == .nat && attempt == 1 { try scratch.shell("iptables-legacy -w -t nat -A POSTROUTING -s 192.0.2.0/24 -j ACCEPT") }
            }
            let runs = Counter()
            let report = try backend.update(tables: [.nat, .filter], entryChains: [:], commitOrder: { [.filter, .nat] }) { tables, _ in
                runs.increment()
                tables[.nat]![chain: .postrouting]!.rules.append(masqueradeRule)
                tables[.filter]![chain: .forward]!.rules.append(Rule(outInterface: Negatable(InterfaceName(valid: "eth0")), target: .accept))
            }
            #expect(commits.withLock { $0 } == [.filter, .nat, .nat])
            #expect(runs.value == 2)
            #expect(report.tables.map(\.table) == [.nat, .filter])
            #expect(report.tables.map(\.committed) == [true, true])
            let filter = try scratch.shell("iptables-legacy-save -t filter")
            #expect(filter.components(separatedBy: "-o eth0 -j ACCEPT").count - 1 == 1)
            let nat = try scratch.shell("iptables-legacy-save -t nat")
            #expect(nat.contains("-A POSTROUTING -s 192.0.2.0/24 -j ACCEPT\n-A POSTROUTING -s 10.200.1.0/24 -o eth0 -j MASQUERADE\n"))

            let refused = #expect(throws: KernelError.self) {
                try backend.update(tables: [.nat, .filter], entryChains: [:], commitOrder: { [.filter] }) { _, _ in }
            }
            #expect(refused?.kind == .refused)
        }
    }

    @Test("a closure that adds a table it did not ask for is refused", kernelTests)
    func extraTableRefused() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            let error = #expect(throws: KernelError.self) {
                try backend.update(tables: [.filter]) { tables in tables[.nat] = Table.empty(.nat, family: .ipv4) }
            }
            #expect(error?.kind == .refused)
        }
    }

    @Test("when the table keeps changing, natgate gives up after maximumAttempts and commits nothing", kernelTests)
    func eagainGivesUp() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            var backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath), maximumAttempts: 3)
            backend.testHooks.beforeCommit = { _, attempt in
                try scratch.shell("iptables-legacy -w -t nat -A POSTROUTING -s 192.0.2.\(attempt)/32 -j ACCEPT")
            }
            let error = #expect(throws: KernelError.self) {
                try backend.update(table: .nat) { $0[chain: .postrouting]!.rules.append(masqueradeRule) }
            }
            #expect(error?.kind == .tableChanged)
            #expect(error?.errno == EAGAIN)
            #expect(error?.description.contains("Run the command again") == true)
            let save = try scratch.shell("iptables-legacy-save -t nat")
            #expect(!save.contains("MASQUERADE"))
            #expect(save.components(separatedBy: "-j ACCEPT").count - 1 == 3)
        }
    }

    @Test("a held lock makes natgate wait, then fail with an error naming the lock and its holder", kernelTests)
    func heldLockTimesOut() throws {
        try ThrowawayNamespace.with { scratch in
            let path = privateLockPath()
            defer { unlink(path) }
            let descriptor = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0o600)
            #expect(flock(descriptor, LOCK_EX) == 0)
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: path, timeout: .milliseconds(300)))
            let before = try scratch.shell("iptables-legacy-save -t nat")
            let error = #expect(throws: KernelError.self) {
                try backend.update(table: .nat) { $0[chain: .postrouting]!.rules.append(masqueradeRule) }
            }
            #expect(error?.kind == .lockTimeout)
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("held by pid \(getpid())") == true)
            // Without the "# Generated … on DATE" lines, which change when the second ticks over.
            func rules(_ save: String) -> [Substring] { save.split(separator: "\n").filter { !$0.hasPrefix("#") } }
            #expect(rules(try scratch.shell("iptables-legacy-save -t nat")) == rules(before))

            // Released within the wait: the update goes through.
            let releaser = Thread {
                usleep(200_000)
                close(descriptor)
            }
            releaser.start()
            let patient = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: path, timeout: .seconds(30)))
            try patient.update(table: .nat) { $0[chain: .postrouting]!.rules.append(masqueradeRule) }
            #expect(try scratch.shell("iptables-legacy-save -t nat").contains("MASQUERADE"))
        }
    }

    @Test("when the second table fails in the kernel, the first is restored", kernelTests)
    func secondTableFailureRestoresFirst() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            try scratch.shell("iptables-legacy -t nat -A POSTROUTING -o docker0 -j RETURN")
            try scratch.shell("iptables-legacy -A FORWARD -i docker0 -j ACCEPT")
            let natBefore = try scratch.shell("iptables-legacy-save -t nat").withoutCommentLines
            let filterBefore = try scratch.shell("iptables-legacy-save -t filter").withoutCommentLines
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: XtablesLock(path: lockPath))
            // A target the kernel does not know, with bytes, so natgate cannot tell before the commit.
            let bogus = Target(UnknownTarget(name: "NATGATEBOGUS", words: [], kernelBlob: KernelBlob(revision: 0, payload: [UInt8](repeating: 0, count: 8))))
            let error = #expect(throws: KernelError.self) {
                try backend.update(tables: [.nat, .filter]) { tables in
                    tables[.nat]![chain: .postrouting]!.rules.append(masqueradeRule)
                    tables[.nat]![chain: .postrouting]!.rules.removeFirst()
                    tables[.filter]![chain: .forward]!.rules.append(Rule(target: .extension(bogus)))
                }
            }
            #expect(error?.kind == .rolledBack)
            #expect(error?.related.first?.kind == .unsupportedExtension)
            #expect(error?.related.first?.operation.table == .filter)
            #expect(try scratch.shell("iptables-legacy-save -t nat").withoutCommentLines == natBefore)
            #expect(try scratch.shell("iptables-legacy-save -t filter").withoutCommentLines == filterBefore)
        }
    }

    @Test("several natgate writers and iptables-legacy -w loops at once: every rule arrives", kernelTests)
    func concurrentWritersLoseNothing() throws {
        try ThrowawayNamespace.with { scratch in
            let lockPath = privateLockPath()
            defer { unlink(lockPath) }
            let lock = XtablesLock(path: lockPath, timeout: .seconds(60))
            let writers = 3, loops = 2, rulesEach = 15
            let failures = Failures()
            let group = DispatchGroup()
            for writer in 0..<writers {
                group.enter()
                Thread {
                    defer { group.leave() }
                    let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace, lock: lock)
                    for index in 0..<rulesEach {
                        do {
                            let rule = try Rule(saveArguments: "-s 10.\(writer).\(index).0/24 -j ACCEPT", family: .ipv4)
                            try backend.update(table: .filter) { $0[chain: .forward]!.rules.append(rule) }
                        } catch { failures.add("natgate writer \(writer): \(error)") }
                    }
                }.start()
            }
            for loop in 0..<loops {
                group.enter()
                Thread {
                    defer { group.leave() }
                    do {
                        try scratch.shell("for i in $(seq 0 \(rulesEach - 1)); do iptables-legacy -w -A FORWARD -s 10.10\(loop).$i.0/24 -j ACCEPT || exit 1; done",
                                          environment: ["XTABLES_LOCKFILE": lock.path])
                    } catch { failures.add("iptables-legacy loop \(loop): \(error)") }
                }.start()
            }
            group.wait()
            #expect(failures.all.isEmpty, "\(failures.all)")
            let save = try scratch.shell("iptables-legacy-save -t filter")
            for writer in 0..<writers {
                for index in 0..<rulesEach { #expect(save.contains("-A FORWARD -s 10.\(writer).\(index).0/24 -j ACCEPT\n")) }
            }
            for loop in 0..<loops {
                for index in 0..<rulesEach { #expect(save.contains("-A FORWARD -s 10.10\(loop).\(index).0/24 -j ACCEPT\n")) }
            }
            #expect(save.components(separatedBy: "-j ACCEPT").count - 1 == (writers + loops) * rulesEach)
        }
    }
}
