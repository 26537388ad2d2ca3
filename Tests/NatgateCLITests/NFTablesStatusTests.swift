import Foundation
import NatgateModel
import Testing
import NatgateEngine
import NatgateLab

/// `natgate status` and `status --check` on a namespace whose nf_tables ruleset blocks a gateway
/// natgate keeps in the legacy tables (`NATGATE_BACKEND=legacy`: auto would write into nf_tables).
@Suite("natgate status: nftables")
struct NFTablesStatusTests {
    @Test("Docker's FORWARD drop loaded with iptables-nft-restore: status names it, --check exits 4, and the suggested accepts clear it",
          .enabled(if: NatgateBinary.isBuilt && ThrowawayNamespace.isSupported))
    func dockerForwardDropThroughTheBinary() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state, "NATGATE_BACKEND": "legacy"]
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
          .enabled(if: NatgateBinary.isBuilt && ThrowawayNamespace.isSupported))
    func someTrafficDoesNotFailTheCheck() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state, "NATGATE_BACKEND": "legacy"]
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

    @Test("without --via, the interface the namespace routes the subnet to decides whether Docker's accepts apply",
          .enabled(if: NatgateBinary.isBuilt && ThrowawayNamespace.isSupported))
    func routedInterfaceStandsInForVia() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state, "NATGATE_BACKEND": "legacy"]
            try scratch.namespace.shell("iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'")
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            func certainty() throws -> [String] {
                let check = try scratch.natgate(["status", "--check", "--json"], environment: env)
                let found = try JSONDecoder().decode(Status.self, from: Data(check.standardOutput.utf8)).nftables?.findings.map(\.certainty) ?? []
                #expect(check.status == (found.isEmpty ? 0 : 4))
                return found
            }
            // No route to the subnet: it might be behind docker0, whose traffic Docker accepts.
            #expect(try certainty() == ["possible"])
            try scratch.namespace.shell("ip link add gw0 type veth peer name gw0-peer && ip addr add 10.250.1.1/24 dev gw0 && ip link set gw0 up")
            #expect(try certainty() == ["certain"])
            try scratch.namespace.shell("ip link add docker0 type veth peer name docker0-peer && ip link set docker0 up && ip link del gw0 && ip route add 10.250.0.0/16 dev docker0")
            // Behind docker0, Docker's own accepts let the gateway through.
            #expect(try certainty() == [])
            #expect(try scratch.natgate(["flush"], environment: env).status == 0)
        }
    }
}
