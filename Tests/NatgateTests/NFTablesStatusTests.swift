import Foundation
import NatgateKernel
import NatgateModel
import Testing
@testable import Natgate

/// `natgate status` and `status --check` on a namespace whose nf_tables ruleset blocks a gateway.
@Suite("natgate status: nftables")
struct NFTablesStatusTests {
    @Test("Docker's FORWARD drop loaded with iptables-nft-restore: status names it, --check exits 4, and the suggested accepts clear it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: Paths.binary) && ThrowawayNamespace.isSupported))
    func dockerForwardDropThroughTheBinary() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            try scratch.namespace.shell("iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'")
            let enable = try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--via", "gw0", "--no-sysctl"], environment: env)
            #expect(enable.status == 0, "\(enable.standardError)")

            let text = try scratch.natgate(["status"], environment: env)
            #expect(text.status == 0)
            #expect(text.standardOutput.contains(
                "10.250.1.0/24 eth0: table ip filter chain FORWARD (hook forward, priority 0, policy drop) drops new connections from the subnet, established traffic from the subnet, replies to the subnet of 10.250.1.0/24 (policy)"),
                "\(text.standardOutput)")
            let check = try scratch.natgate(["status", "--check", "--json"], environment: env)
            #expect(check.status == 4, "\(check.standardError)")
            let status = try JSONDecoder().decode(Status.self, from: Data(check.standardOutput.utf8))
            let finding = try #require(status.nftables?.findings.first)
            #expect(status.nftables?.findings.count == 1)
            #expect([finding.family, finding.table, finding.chain, finding.hook, finding.policy, finding.effect, finding.certainty]
                == ["ip", "filter", "FORWARD", "forward", "drop", "drop", "certain"])
            #expect(finding.deciders == ["policy"])

            // Do what the suggestion says (the commands between backticks), and the block is gone.
            let commands = finding.suggestion.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            #expect(commands.count == 2)
            for command in commands { try scratch.namespace.shell(command) }
            #expect(try scratch.natgate(["status", "--check"], environment: env).status == 0)
            #expect(try scratch.natgate(["status"], environment: env).standardOutput.contains("nothing there drops, rejects or re-NATs the gateways"))
            #expect(try scratch.natgate(["flush"], environment: env).status == 0)
        }
    }

    @Test("kube-proxy's rejects of some service addresses are listed, and do not fail --check",
          .enabled(if: FileManager.default.isExecutableFile(atPath: Paths.binary) && ThrowawayNamespace.isSupported))
    func someTrafficDoesNotFailTheCheck() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            try scratch.namespace.shell("iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("kube-proxy.rules").path)'")
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            let check = try scratch.natgate(["status", "--check", "--json"], environment: env)
            #expect(check.status == 0, "\(check.standardOutput)")
            let status = try JSONDecoder().decode(Status.self, from: Data(check.standardOutput.utf8))
            let findings = try #require(status.nftables?.findings)
            #expect(!findings.isEmpty)
            #expect(findings.allSatisfy { $0.certainty == "some-traffic" })
            #expect(try scratch.natgate(["status"], environment: env).standardOutput.contains("may reject some of new connections from the subnet"))
            #expect(try scratch.natgate(["flush"], environment: env).status == 0)
        }
    }
}
