import Foundation
import Logging
import NatgateModel
import NatgateNFTables
import NatgatePolicy
import Testing
import Natgate
import NatgateEngine
import NatgateLab

/// `--backend` and `NATGATE_BACKEND` through the binary.
@Suite(.enabled(if: ThrowawayNamespace.isSupported && NatgateBinary.isBuilt, "needs root and the built natgate binary"), .serialized)
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
            let restore = try scratch.namespace.run([NatgateBinary.path, "restore", "--backend", "nft", path] + flag)
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
            #expect(try scratch.namespace.run([NatgateBinary.path, "restore", "--backend", "nft", path] + flag).status == 0)
            #expect(try scratch.namespace.namespace.run { try NFTRuleset.readGeneration() } == generation)
            // --noflush is refused on nft, changing nothing.
            let noflush = try scratch.namespace.run([NatgateBinary.path, "restore", "--backend", "nft", "--noflush", path] + flag)
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
