import Foundation
import Logging
import NatgateKernel
import NatgateModel
import NatgateNFTables
import NatgatePolicy
import NatgateSysctl
import Testing
@_spi(Testing) @testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// Everything the namespace's two firewalls hold, for "nothing changed" checks: both legacy
/// families, both iptables-nft families, and the whole nf_tables ruleset with handles.
func firewallState(_ namespace: ThrowawayNamespace) throws -> String {
    try ["iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save", "nft -a list ruleset"].map { command in
        try namespace.shell(command).split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }.joined(separator: "\n----\n")
}

/// The nft backend itself: one batch per change, retried when another program commits first,
/// foreign rules kept by handle, the choice of backend, and refusals that change nothing.
@Suite(.enabled(if: ThrowawayNamespace.isSupported && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "needs root, ip, nft and iptables-nft"), .serialized)
struct NFTablesBackendTests {
    static let gateway = try! Gateway(subnet: IPNetwork("10.250.1.0/24"), uplink: InterfaceName("eth0"))
    static let other = try! Gateway(subnet: IPNetwork("10.250.2.0/24"), uplink: InterfaceName("eth0"))

    /// The store under test; without ip sets by default, so that a change is one batch across both
    /// tables and both families (with sets, each family's tables are one batch, with the set
    /// members changed around it, since ip sets are not nf_tables objects).
    static func store(_ scratch: Scratch, usesIPSets: Bool = false, beforeCommit: (@Sendable (Int) throws -> Void)? = nil) -> NFTablesRuleStore {
        var store = NFTablesRuleStore(
            namespace: scratch.namespace.namespace, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            intentLog: ChangeIntentLog(directory: scratch.state), attempts: 3, usesIPSets: usesIPSets)
        store.testHooks.beforeCommit = beforeCommit
        return store
    }

    static func controller(_ store: NFTablesRuleStore, _ scratch: Scratch) -> GatewayController {
        GatewayController(store: store, forwarding: Forwarding(directory: scratch.state), logger: store.logger)
    }

    /// Another program commits between natgate's read and its batch: the kernel refuses the batch
    /// (generation), natgate derives the change again and commits it, and the other program's
    /// rule stays. The same with gateways in ip sets: the sets put back before the retry.
    @Test(arguments: [false, true])
    func aConcurrentWriterIsDetectedAndTheChangeRetried(usesIPSets: Bool) throws {
        try Scratch.with(backend: .nft) { scratch in
            let attempts = Counter()
            let namespace = scratch.namespace
            let store = Self.store(scratch, usesIPSets: usesIPSets) { attempt in
                attempts.add()
                if attempt == 1 { try namespace.shell("iptables-nft -A INPUT -s 192.0.2.1 -j ACCEPT") }
            }
            let natgate = Self.controller(store, scratch)
            #expect(try natgate.enable(Self.gateway).outcome == .changed)
            #expect(attempts.value == 2)
            let saved = try scratch.save()
            #expect(saved.contains("-A INPUT -s 192.0.2.1/32 -j ACCEPT"))
            if usesIPSets {
                #expect(saved.contains("-A NATGATE-FORWARD -m set --match-set natgate-f"))
                #expect(try scratch.saveSets().contains("10.250.1.0/24,eth0"))
            } else {
                #expect(saved.contains("-A NATGATE-FORWARD -s 10.250.1.0/24 -o eth0"))
            }
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == [Self.gateway])
            #expect(try ChangeIntentLog(directory: scratch.state).interruptedInNamespace(scratch) == nil)
        }
    }

    /// A writer that commits before every batch: natgate gives up after its attempts with an error
    /// that says so, and the tables hold only the other program's rules.
    @Test func aWriterThatNeverStopsMakesTheChangeFailCleanly() throws {
        try Scratch.with(backend: .nft) { scratch in
            let namespace = scratch.namespace
            let store = Self.store(scratch) { attempt in try namespace.shell("iptables-nft -A INPUT -s 192.0.2.\(attempt) -j ACCEPT") }
            #expect {
                try Self.controller(store, scratch).enable(Self.gateway)
            } throws: { error in
                "\(error)".contains("3 times in a row") && "\(error)".contains("nothing of natgate's change was written")
            }
            let saved = try scratch.save()
            #expect(!saved.contains("NATGATE"))
            #expect(saved.contains("192.0.2.3"))
            #expect(try scratch.forwarding() == "0")
            #expect(try ChangeIntentLog(directory: scratch.state).interruptedInNamespace(scratch) == nil)
        }
    }

    /// A rule in iptables-nft's FORWARD that is not an iptables rule (a native `ct state`): natgate
    /// inserts its jump above it and takes it out again, and the rule keeps its handle throughout.
    @Test func aForeignNativeRuleKeepsItsHandle() throws {
        try Scratch.with(backend: .nft) { scratch in
            try scratch.namespace.shell("iptables-nft -A FORWARD -i docker0 -j ACCEPT && nft add rule ip filter FORWARD ct state established counter accept")
            let before = try scratch.namespace.shell("nft -a list table ip filter")
            let natgate = scratch.controller
            try natgate.enable(Self.gateway)
            let during = try scratch.namespace.shell("nft -a list table ip filter")
            let native = try #require(before.split(separator: "\n").first { $0.contains("ct state established") })
            #expect(during.contains(native))
            #expect(during.contains("jump NATGATE-FORWARD"))
            try natgate.disable(Self.gateway.key)
            #expect(try scratch.namespace.shell("nft -a list table ip filter").contains(native))
            #expect(!(try scratch.namespace.shell("nft list table ip filter")).contains("NATGATE"))
        }
    }

    /// One change, one batch: an apply that adds and removes gateways moves the generation once
    /// with rules per gateway; with gateways in ip sets, swapping one gateway for another of the
    /// same shape changes set members only, and the ruleset's generation not at all.
    @Test(arguments: [false, true])
    func anApplyThatAddsAndRemovesIsOneTransaction(usesIPSets: Bool) throws {
        try Scratch.with(backend: .nft) { scratch in
            let natgate = scratch.controller(usesIPSets: usesIPSets)
            try natgate.apply(GatewaySet([Self.gateway]))
            let generation = try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() }
            let report = try natgate.apply(GatewaySet([Self.other]))
            #expect(report.gatewayChanges == GatewayController.GatewayChanges(added: 1, removed: 1))
            #expect(try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() } == generation &+ (usesIPSets ? 0 : 1))
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == [Self.other])
        }
    }

    /// Both families in one apply: still one batch (the generation moves once), and the ip and ip6
    /// tables both hold their gateway.
    @Test func anApplyOfBothFamiliesIsOneTransaction() throws {
        try Scratch.with(backend: .nft) { scratch in
            let natgate = scratch.perRuleController
            let v6 = try Gateway(subnet: IPNetwork("fd00:250:1::/64"), uplink: InterfaceName("eth0"))
            let generation = try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() }
            try natgate.apply(GatewaySet([Self.gateway, v6]))
            #expect(try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() } == generation &+ 1)
            #expect(try scratch.namespace.shell("ip6tables-nft-save").contains("-A NATGATE-FORWARD -s fd00:250:1::/64 -o eth0"))
            #expect(try scratch.namespace.shell("iptables-nft-save").contains("-A NATGATE-FORWARD -s 10.250.1.0/24 -o eth0"))
            try natgate.flush()
            #expect(!(try scratch.namespace.shell("nft list ruleset")).contains("NATGATE"))
        }
    }

    /// The batch fails (here: the hook before it throws): nothing reached the kernel, so nothing is
    /// put back, forwarding is untouched and no change is left recorded as interrupted.
    @Test func aFailedCommitLeavesEverythingAsItWas() throws {
        struct Refused: Error {}
        try Scratch.with(backend: .nft) { scratch in
            try scratch.namespace.shell("iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'")
            let before = try firewallState(scratch.namespace)
            let store = Self.store(scratch) { _ in throw Refused() }
            #expect(throws: NatgateError.self) { try Self.controller(store, scratch).enable(Self.gateway) }
            #expect(try firewallState(scratch.namespace) == before)
            #expect(try scratch.forwarding() == "0")
            #expect(try ChangeIntentLog(directory: scratch.state).interruptedInNamespace(scratch) == nil)
        }
    }

    /// With ip sets each family's tables are committed before its set changes: when the second
    /// family's batch fails, the first family, already committed, is put back too, so an apply of
    /// both families leaves both subsystems and the ip sets as they were.
    @Test func aSecondFamilyFailingPutsTheFirstBackWithSets() throws {
        struct Refused: Error {}
        try Scratch.with(backend: .nft) { scratch in
            let v6 = try Gateway(subnet: IPNetwork("fd00:250:1::/64"), uplink: InterfaceName("eth0"))
            let existing = try Self.store(scratch, usesIPSets: true)
            try Self.controller(existing, scratch).apply(GatewaySet([Self.other]))
            let before = try firewallState(scratch.namespace)
            let setsBefore = try scratch.saveSets()
            let commits = Counter()
            // The first batch (IPv4) goes through; the second (IPv6) is refused; the undo's go through.
            let store = Self.store(scratch, usesIPSets: true) { _ in
                commits.add()
                if commits.value == 2 { throw Refused() }
            }
            #expect(throws: NatgateError.self) { try Self.controller(store, scratch).apply(GatewaySet([Self.gateway, v6])) }
            #expect(commits.value >= 2)
            #expect(try firewallState(scratch.namespace) == before)
            #expect(try scratch.saveSets() == setsBefore)
            #expect(try ChangeIntentLog(directory: scratch.state).interruptedInNamespace(scratch) == nil)
        }
    }

    /// Forwarding fails after the batch was committed: the gateway's rules are taken out again (a
    /// second batch), and the tables are as before.
    @Test func aForwardingFailureAfterTheCommitPutsTheRulesBack() throws {
        try Scratch.with(backend: .nft) { scratch in
            try scratch.namespace.shell("iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'")
            let before = try scratch.save()
            let store = Self.store(scratch)
            // State files under a path that cannot be a directory: recording forwarding fails.
            let natgate = GatewayController(store: store, forwarding: Forwarding(directory: "/dev/null/natgate"), logger: store.logger)
            #expect(throws: (any Error).self) { try natgate.enable(Self.gateway) }
            #expect(try scratch.save() == before)
            #expect(try scratch.forwarding() == "0")
        }
    }
}


/// Counts calls from a hook.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

extension ChangeIntentLog {
    /// The change recorded for `scratch`'s namespace.
    func interruptedInNamespace(_ scratch: Scratch) throws -> InterruptedChange? {
        try scratch.namespace.namespace.run { try interrupted() }
    }
}
