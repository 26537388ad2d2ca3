import Foundation
import Glibc
import Logging
import Synchronization
@_spi(Testing) @testable import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import Testing
import NatgateLab
@_spi(Testing) @testable import Natgate

// A change is one lock session, commits in the fewest steps that never forward a packet
// unmasqueraded, puts back what it committed when a later commit fails, and, killed part way,
// leaves either the gateways before, those asked for, or a record that `status --check` reports
// and the next change completes.

@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct AtomicityTests {
    static func store(_ scratch: Scratch, hooks: FailingCommit? = nil) -> KernelRuleStore {
        var store = KernelRuleStore(
            namespace: scratch.namespace.namespace, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            intentLog: ChangeIntentLog(directory: scratch.state), usesIPSets: false)
        if let hooks { store.testHooks.beforeCommit = { try hooks.beforeCommit($0, $1) } }
        return store
    }

    static func controller(_ scratch: Scratch, hooks: FailingCommit? = nil) -> GatewayController {
        GatewayController(store: store(scratch, hooks: hooks), forwarding: Forwarding(directory: scratch.state), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A change that adds and removes commits nat (before and after), filter (after), nat (after):
    /// three commits, and the gateways end exactly as asked.
    @Test func applyThatAddsAndRemovesCommitsNatFilterNat() throws {
        try Scratch.with { scratch in
            try Self.controller(scratch).apply(TwoPolicies.a(8))
            let counter = FailingCommit(failing: 0)
            let report = try Self.controller(scratch, hooks: counter).apply(TwoPolicies.b(8))
            #expect(counter.tables == [.nat, .filter, .nat])
            #expect(report.gateways == (try TwoPolicies.b(8)).gateways)
            let status = try Self.controller(scratch).status()
            #expect(!status.hasDrift)
            #expect(status.interruptedChange == nil)
        }
    }

    /// A failure at any commit after the first puts back what was committed: the kernel is
    /// exactly as before (iptables-legacy-save), no change is reported as interrupted, and the
    /// same change then goes through.
    @Test(arguments: [2, 3])
    func aFailedCommitPutsTheEarlierOnesBack(_ failing: Int) throws {
        try Scratch.with { scratch in
            try Self.controller(scratch).apply(TwoPolicies.a(8))
            let before = try scratch.save()
            let hooks = FailingCommit(failing: failing)
            let error = try #require(throws: NatgateError.self) { try Self.controller(scratch, hooks: hooks).apply(TwoPolicies.b(8)) }
            #expect(error.message.contains("injected failure"))
            #expect(try scratch.save() == before)
            // The commits up to the failing one, then the undo of the first (nat).
            #expect(Array(hooks.tables.prefix(failing)) == Array([TableName.nat, .filter, .nat].prefix(failing)))
            let status = try Self.controller(scratch).status()
            #expect(status.interruptedChange == nil)
            #expect(!status.hasDrift)
            try Self.controller(scratch).apply(TwoPolicies.b(8))
            #expect(try Self.controller(scratch).status().families[0].gateways.map(\.gateway) == (try TwoPolicies.b(8)).gateways)
        }
    }

    /// An apply that only removes gateways commits filter, then nat, from one read: the order is
    /// chosen once the change is known.
    @Test func applyThatOnlyRemovesCommitsFilterThenNat() throws {
        try Scratch.with { scratch in
            try Self.controller(scratch).apply(TwoPolicies.a(8))
            let counter = FailingCommit(failing: 0)
            try Self.controller(scratch, hooks: counter).apply(GatewaySet(TwoPolicies.gateways(from: 0, count: 5)))
            #expect(counter.tables == [.filter, .nat])
            #expect(try Self.controller(scratch).status().families[0].gateways.count == 5)
        }
    }

    /// enable commits nat, then filter: a failure at filter leaves the kernel as before.
    @Test func enableThatFailsBetweenNatAndFilterLeavesTheKernelAsBefore() throws {
        try Scratch.with { scratch in
            try Self.controller(scratch).apply(TwoPolicies.a(4))
            let before = try scratch.save()
            let hooks = FailingCommit(failing: 2)
            let gateway = try Gateway(subnet: IPNetwork("10.99.0.0/24"), uplink: InterfaceName("eth0"))
            #expect(throws: NatgateError.self) { try Self.controller(scratch, hooks: hooks).enable(gateway) }
            #expect(hooks.tables == [.nat, .filter])
            #expect(try scratch.save() == before)
        }
    }

    /// A record left by a change that did not finish: `status` says so, and the next change
    /// completes it (an `enable` after an interrupted `apply` ends with the applied gateways and
    /// its own) and removes the record.
    @Test func theNextChangeCompletesAnInterruptedOne() throws {
        try Scratch.with { scratch in
            try Self.controller(scratch).apply(TwoPolicies.a(4))
            let store = Self.store(scratch)
            try store.inNamespace { try store.intentLog!.record([.apply(TwoPolicies.b(4))]) }
            let status = try Self.controller(scratch).status()
            #expect(status.interruptedChange?.contains("apply (4 gateways)") == true)
            #expect(status.description.contains("A change was interrupted"))

            let extra = try Gateway(subnet: IPNetwork("10.99.0.0/24"), uplink: InterfaceName("eth0"))
            // The plan says so too: the interrupted apply's new gateway, then the enabled one.
            let plan = try Self.controller(scratch).plan(.enable(extra)).description
            #expect(plan.contains("-s 10.100.4.0/24") && plan.contains("-s 10.99.0.0/24"), "\(plan)")
            let report = try Self.controller(scratch).enable(extra)
            #expect(report.gateways == (try TwoPolicies.b(4).adding(extra)).gateways)
            let after = try Self.controller(scratch).status()
            #expect(after.interruptedChange == nil)
            #expect(!after.hasDrift)
        }
    }

    /// Another writer that waits for the xtables lock while a change runs gets it only after the
    /// change's last commit: it sees the tables before or after, never a step in between.
    @Test func anotherWriterCannotSlipInBetweenTheCommits() throws {
        try Scratch.with { scratch in
            try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
            let lock = XtablesLock(path: scratch.state + "/xtables.lock")
            func controller(_ hooks: FailingCommit? = nil) -> GatewayController {
                var store = Self.store(scratch, hooks: hooks)
                store.lock = lock
                return GatewayController(store: store, forwarding: Forwarding(directory: scratch.state), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            }
            try controller().apply(TwoPolicies.a(8))
            let before = try scratch.save()

            // From the first commit on, another writer tries the lock over and over without
            // waiting; each time it gets it, it reads the tables and lets go for a while. It stops once the
            // change has returned.
            let seen = SeenTexts()
            let stop = Atomic<Bool>(false)
            let done = DispatchSemaphore(value: 0)
            let hooks = FailingCommit(failing: 0) { count in
                guard count == 1 else { return }
                Thread.detachNewThread {
                    let fd = open(lock.path, O_RDONLY | O_CLOEXEC)
                    while fd >= 0, !stop.load(ordering: .relaxed) {
                        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
                        seen.append((try? scratch.save()) ?? "unreadable")
                        flock(fd, LOCK_UN)
                        usleep(20_000)  // lets the change take the lock again
                    }
                    close(fd)
                    done.signal()
                }
            }
            try controller(hooks).apply(TwoPolicies.b(8))
            let after = try scratch.save()
            stop.store(true, ordering: .relaxed)
            done.wait()
            for text in seen.all {
                #expect(text == before || text == after, "the other writer got the lock in the middle of the change and saw:\n\(text)")
            }
        }
    }

    /// A controller over a memory store keeps no record, so it never writes to the state directory.
    @Test func aMemoryStoreKeepsNoRecord() throws {
        let store = MemoryRuleStore()
        #expect(store.intentLog == nil)
        let natgate = GatewayController(store: store, forwarding: nil, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try natgate.apply(TwoPolicies.a(4))
        try natgate.apply(TwoPolicies.b(4))
        #expect(store.commits.suffix(3).map(\.1) == [.nat, .filter, .nat])
    }
}

/// The filter commit of a change that adds and removes gateways goes from the chain before to the
/// chain after in one step: the entries of the gateways that stay must keep their place (and so
/// their counters) even when the chain is too long for Myers' diff.
@Suite struct LongChainEditTests {
    /// Applies `edit` to `old` as libiptc would and checks the result is `new`, entry for entry.
    static func check(_ edit: EntryEdit, from old: EntryList, to new: EntryList) {
        var chain = (0..<old.count).map { (list: old, index: $0) }
        for position in edit.removals { chain.remove(at: position) }
        for position in edit.insertions { chain.insert((list: new, index: position), at: position) }
        #expect(chain.count == new.count)
        #expect(zip(chain, 0..<new.count).allSatisfy { $0.0.list.sameRule($0.0.index, as: $0.1, of: new) })
    }

    @Test func oneGatewayOutOneInAtTheOtherEndKeepsEveryOtherEntry() throws {
        var encoder = GatewayEntries(family: .ipv4)
        let old = try encoder.entries(for: GatewaySet(TwoPolicies.gateways(from: 0, count: 1100)), table: .filter)
        let new = try encoder.entries(for: GatewaySet(TwoPolicies.gateways(from: 1, count: 1100)), table: .filter)
        #expect(old.count * new.count > TableChanges.diffLimit)
        let edit = EntryEdit(chain: OwnedChains.owned(in: .filter)!, from: old, to: new)
        // The first gateway's filter entries go, the new last gateway's come: nothing between moves.
        let perGateway = GatewayCompiler().rules(for: try TwoPolicies.gateways(from: 0, count: 1)[0], table: .filter).count
        #expect(edit.removals == Array((0..<perGateway).reversed()))
        #expect(edit.insertions == Array((new.count - perGateway)..<new.count))
        Self.check(edit, from: old, to: new)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func scatteredChangesKeepWhatStays(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var encoder = GatewayEntries(family: .ipv4)
        let all = try TwoPolicies.gateways(from: 0, count: 1500)
        let before = all.filter { _ in Int.random(in: 0..<10, using: &random) != 0 }
        let after = all.filter { _ in Int.random(in: 0..<10, using: &random) != 0 }
        let old = try encoder.entries(for: GatewaySet(before), table: .filter)
        let new = try encoder.entries(for: GatewaySet(after), table: .filter)
        let edit = EntryEdit(chain: OwnedChains.owned(in: .filter)!, from: old, to: new)
        Self.check(edit, from: old, to: new)
        // Only gateways on one side are touched: their filter entries each.
        let perGateway = GatewayCompiler().rules(for: all[0], table: .filter).count
        let changed = Set(before.map(\.key)).symmetricDifference(Set(after.map(\.key))).count
        #expect(edit.removals.count + edit.insertions.count <= perGateway * changed + 2 * 64, "\(changed) gateways changed")
    }
}
