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

    static func store(_ scratch: Scratch, beforeCommit: (@Sendable (Int) throws -> Void)? = nil) -> NFTablesRuleStore {
        var store = NFTablesRuleStore(
            namespace: scratch.namespace.namespace, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            intentLog: ChangeIntentLog(directory: scratch.state), attempts: 3)
        store.testHooks.beforeCommit = beforeCommit
        return store
    }

    static func controller(_ store: NFTablesRuleStore, _ scratch: Scratch) -> GatewayController {
        GatewayController(store: store, forwarding: Forwarding(directory: scratch.state), logger: store.logger)
    }

    /// Another program commits between natgate's read and its batch: the kernel refuses the batch
    /// (generation), natgate derives the change again and commits it, and the other program's
    /// rule stays.
    @Test func aConcurrentWriterIsDetectedAndTheChangeRetried() throws {
        try Scratch.with(backend: .nft) { scratch in
            let attempts = Counter()
            let namespace = scratch.namespace
            let store = Self.store(scratch) { attempt in
                attempts.add()
                if attempt == 1 { try namespace.shell("iptables-nft -A INPUT -s 192.0.2.1 -j ACCEPT") }
            }
            let natgate = Self.controller(store, scratch)
            #expect(try natgate.enable(Self.gateway).outcome == .changed)
            #expect(attempts.value == 2)
            let saved = try scratch.save()
            #expect(saved.contains("-A INPUT -s 192.0.2.1/32 -j ACCEPT"))
            #expect(saved.contains("-A NATGATE-FORWARD -s 10.250.1.0/24 -o eth0"))
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

    /// One change, one batch: an apply that adds and removes gateways moves the generation once.
    @Test func anApplyThatAddsAndRemovesIsOneTransaction() throws {
        try Scratch.with(backend: .nft) { scratch in
            let natgate = scratch.controller
            try natgate.apply(GatewaySet([Self.gateway]))
            let generation = try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() }
            let report = try natgate.apply(GatewaySet([Self.other]))
            #expect(report.gatewayChanges == GatewayController.GatewayChanges(added: 1, removed: 1))
            #expect(try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() } == generation &+ 1)
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == [Self.other])
        }
    }

    /// Both families in one apply: still one batch (the generation moves once), and the ip and ip6
    /// tables both hold their gateway.
    @Test func anApplyOfBothFamiliesIsOneTransaction() throws {
        try Scratch.with(backend: .nft) { scratch in
            let natgate = scratch.controller
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

    /// A table iptables-nft cannot read (a base chain of another shape in `ip filter`): natgate
    /// refuses, names the chain, and changes nothing in either subsystem.
    @Test func aTableIptablesNFTCannotReadIsRefusedAndNothingChanges() throws {
        try Scratch.with(backend: .nft) { scratch in
            try scratch.namespace.shell("nft add table ip filter && nft add chain ip filter mine '{ type filter hook forward priority 10; }'")
            let before = try firewallState(scratch.namespace)
            let result = try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--backend", "nft"], environment: ["NATGATE_STATE_DIRECTORY": scratch.state])
            #expect(result.status == 3, "\(result.standardError)")
            #expect(result.standardError.contains("base chain mine"), "\(result.standardError)")
            #expect(try firewallState(scratch.namespace) == before)
            #expect(try scratch.forwarding() == "0")
        }
    }
}

/// `--backend` and `NATGATE_BACKEND` through the binary.
@Suite(.enabled(if: ThrowawayNamespace.isSupported && FileManager.default.isExecutableFile(atPath: Paths.binary), "needs root and the built natgate binary"), .serialized)
struct BackendChoiceCLITests {
    static func status(_ scratch: Scratch, _ extra: [String] = [], environment: [String: String] = [:]) throws -> Status {
        let result = try scratch.natgate(["status", "--json"] + extra, environment: ["NATGATE_STATE_DIRECTORY": scratch.state].merging(environment) { $1 })
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONDecoder().decode(Status.self, from: Data(result.standardOutput.utf8))
    }

    @Test func aBadBackendIsBadInputNamingTheValue() throws {
        try Scratch.with { scratch in
            let before = try firewallState(scratch.namespace)
            let flag = try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--backend", "iptables"])
            #expect(flag.status == 2)
            #expect(flag.standardError.contains("'iptables' is not a backend"), "\(flag.standardError)")
            let environment = try scratch.natgate(["status"], environment: ["NATGATE_BACKEND": "nftables"])
            #expect(environment.status == 2)
            #expect(environment.standardError.contains("NATGATE_BACKEND: 'nftables'"), "\(environment.standardError)")
            let save = try scratch.natgate(["save", "--backend", "x"])
            #expect(save.status == 2)
            let entries = try scratch.natgate(["debug-entries", "--backend", "nft"])
            #expect(entries.status == 2)
            #expect(entries.standardError.contains("only on the legacy backend"))
            #expect(try firewallState(scratch.namespace) == before)
        }
    }

    @Test func autoKeepsLegacyOnABareHostAndTheFlagWinsOverTheEnvironment() throws {
        try Scratch.with { scratch in
            let bare = try Self.status(scratch)
            let flag = try Self.status(scratch, ["--backend", "nft"], environment: ["NATGATE_BACKEND": "legacy"])
            let environment = try Self.status(scratch, environment: ["NATGATE_BACKEND": "nft"])
            #expect(bare.backend?.name == "legacy")
            #expect(flag.backend?.name == "nft")
            #expect(environment.backend == BackendStatus(name: "nft", reason: "asked for"))
        }
    }

    @Test func autoFollowsNatgatesChainsAndRefusesWhenBothHoldThem() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            // On an nft Docker host, auto writes into nf_tables.
            try scratch.namespace.shell("iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'")
            #expect(try Self.status(scratch).backend?.reason.contains("base chain") == true)
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            #expect(try scratch.namespace.shell("iptables-nft-save").contains("NATGATE-FORWARD"))
            #expect(try scratch.namespace.shell("iptables-legacy-save").isEmpty)
            #expect(try Self.status(scratch).backend?.reason.contains("natgate's chains are in nf_tables") == true)
            // natgate's chains in both: refused, exit 3, both named, nothing changed.
            try scratch.namespace.shell("iptables-legacy -N NATGATE-FORWARD")
            let before = try firewallState(scratch.namespace)
            let result = try scratch.natgate(["enable", "10.250.2.0/24", "eth0", "--no-sysctl"], environment: env)
            #expect(result.status == 3)
            #expect(result.standardError.contains("ipv4 filter NATGATE-FORWARD") && result.standardError.contains("ip filter NATGATE-FORWARD"), "\(result.standardError)")
            #expect(try firewallState(scratch.namespace) == before)
            // Asking for one backend still works.
            #expect(try scratch.natgate(["--backend", "nft", "flush", "--no-sysctl"], environment: env).status == 0)
            #expect(try Self.status(scratch).backend?.name == "legacy")
        }
    }

    /// `save` and `restore` on the nft tables: natgate's restore writes what iptables-nft-restore
    /// writes for the same text, and natgate's save prints it back.
    @Test(arguments: ["docker", "ufw", "docker-v6"])
    func saveAndRestoreOnNFTables(_ host: String) throws {
        let family = Paths.family(ofHost: host)
        let path = Paths.hosts.appendingPathComponent("\(host).canonical").path
        let flag = family == .ipv6 ? ["-6"] : []
        let expected = try Scratch.with(family, backend: .nft) { reference in
            try reference.namespace.shell("\(reference.restore) < '\(path)'")
            return try reference.save()
        }
        try Scratch.with(family, backend: .nft) { scratch in
            let restore = try scratch.namespace.run([Paths.binary, "restore", "--backend", "nft", path] + flag)
            #expect(restore.status == 0, "\(restore.standardError)")
            #expect(try scratch.save() == expected)
            let save = try scratch.natgate(["save", "--backend", "nft"] + flag)
            #expect(save.status == 0, "\(save.standardError)")
            func canonical(_ text: String) throws -> [Table] {
                try Ruleset(saveText: text, family: family).tables.map(\.canonicallyOrdered).sorted { $0.name < $1.name }
            }
            #expect(try canonical(save.standardOutput) == canonical(expected))
            // Restoring the same text again changes nothing (the generation stays).
            let generation = try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() }
            #expect(try scratch.namespace.run([Paths.binary, "restore", "--backend", "nft", path] + flag).status == 0)
            #expect(try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() } == generation)
            // --noflush is refused on nft, changing nothing.
            let noflush = try scratch.namespace.run([Paths.binary, "restore", "--backend", "nft", "--noflush", path] + flag)
            #expect(noflush.status == 1)
            #expect(noflush.standardError.contains("--noflush is not supported on the nft backend"))
        }
    }

    /// A firewalld-like native table drops what is forwarded: on the nft backend (auto picks it
    /// there) the gateway is reported blocked by enable and by status --check, not silently broken.
    @Test func aFirewalldHostIsReportedBlockedByTheChangeAndByStatus() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            try scratch.namespace.shell("nft -f '\(Paths.root.appendingPathComponent("Fixtures/nftables/firewalld.nft").path)'")
            let enable = try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--via", "gw0", "--no-sysctl"], environment: env)
            #expect(enable.status == 0, "\(enable.standardError)")
            #expect(enable.standardOutput.contains("table inet firewalld chain filter_FORWARD"), "\(enable.standardOutput)")
            let json = try scratch.natgate(["enable", "10.250.2.0/24", "eth0", "--via", "gw0", "--no-sysctl", "--json"], environment: env)
            let report = try JSONDecoder().decode(GatewayController.Report.self, from: Data(json.standardOutput.utf8))
            #expect(report.nftables?.findings.map(\.subnet) == ["10.250.2.0/24"])
            let check = try scratch.natgate(["status", "--check", "--json"], environment: env)
            #expect(check.status == 4)
            let status = try JSONDecoder().decode(Status.self, from: Data(check.standardOutput.utf8))
            #expect(status.backend?.name == "nft")
            #expect(Set(status.nftables?.findings.map(\.table) ?? []) == ["firewalld"])
            #expect(try scratch.natgate(["flush", "--no-sysctl"], environment: env).status == 0)
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
