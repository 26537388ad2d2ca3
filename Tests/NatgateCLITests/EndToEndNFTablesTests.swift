import Foundation
import Testing
import NatgateEngine
import NatgateLab

/// What `natgate status` says about nftables, held against real traffic in a lab: a gateway it
/// reports blocked gets no connectivity, and one it reports clear does.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndNFTablesTests {
    static func status(_ lab: LabTopology, _ extra: [String] = []) throws -> (exit: Int32, status: Status) {
        let result = try ChildProcess.run(LabNatgate.command(["status", "--check", "--json", "--netns", lab.host.name] + extra))
        return (result.status, try JSONDecoder().decode(Status.self, from: Data(result.standardOutput.utf8)))
    }

    /// The issue's measurement: Docker's ruleset loaded with iptables-nft-restore, `natgate enable`
    /// exits 0 and ns1 gets nothing through. status names the FORWARD policy for sure; doing what
    /// it suggests gets the traffic through and clears the check.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests"))
    func dockerForwardDropBlocksAndTheSuggestionUnblocks() throws {
        let (lab, responder) = try LabNatgate.lab()
        defer { LabNatgate.remove(lab) }
        let ns1 = lab.inner[0]
        try lab.host.exec(["sh", "-c", "iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'"])

        // natgate kept in the legacy tables on purpose: auto would write into Docker's nf_tables.
        _ = try LabNatgate.natgate(["enable", ns1.subnet, LabTopology.uplink, "--backend", "legacy"], in: lab)
        let blocked = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(1))
        #expect(blocked.answer == nil)
        let (exit, status) = try Self.status(lab, ["--backend", "legacy"])
        #expect(exit == 4)
        let finding = try #require(status.nftables?.findings.first)
        #expect(status.nftables?.findings.count == 1)
        #expect([finding.table, finding.chain, finding.certainty, finding.deciders.joined()] == ["filter", "FORWARD", "certain", "policy"])

        for command in finding.suggestion.split(separator: "`").enumerated().filter({ $0.offset % 2 == 1 }) {
            try lab.host.exec(["sh", "-c", String(command.element)])
        }
        let through = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(3))
        #expect(through == .answered(LabTopology.uplinkAddress))
        #expect(try Self.status(lab, ["--backend", "legacy"]).exit == 0)
    }

    /// The same Docker host with `--backend auto`: natgate picks nf_tables, puts its jump at the
    /// top of Docker's `ip filter FORWARD`, and ns1 gets through; new inbound connections from the
    /// outside stay out; disable gives back Docker's exact ruleset text.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests"))
    func dockerOnNFTablesWorksWithTheAutoBackend() throws {
        let lab = try LabTopology(.init(outsideRoutesToInner: true))
        defer { lab.remove() }
        defer { _ = try? ChildProcess.run(LabNatgate.command(["flush", "--netns", lab.host.name])) }
        let ns1 = lab.inner[0]
        let outside = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let inside = try lab.startResponder(in: ns1.namespace, address: ns1.address)
        try lab.host.exec(["sh", "-c", "iptables-nft-restore < '\(Paths.hosts.appendingPathComponent("docker.rules").path)'"])
        // The rules as iptables-nft-save prints them, without the chains' counters (traffic moves them).
        func saved() throws -> [String] {
            try lab.host.exec(["iptables-nft-save"]).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .map { $0.replacingOccurrences(of: #"\[\d+:\d+\]$"#, with: "[-]", options: .regularExpression) }
        }
        let before = try saved()

        let enable = try LabNatgate.natgate(["--backend", "auto", "enable", ns1.subnet, LabTopology.uplink], in: lab)
        #expect(!enable.contains("nftables:"), "\(enable)")
        let (exit, status) = try Self.status(lab)
        #expect(exit == 0)
        #expect(status.backend?.name == "nft")
        #expect(status.nftables?.findings.isEmpty == true)
        #expect(try lab.host.exec(["iptables-legacy-save"]).isEmpty)
        let through = try TCPProbe.connect(from: ns1.namespace, to: outside.address, port: outside.port, timeout: .seconds(3))
        #expect(through == .answered(LabTopology.uplinkAddress))
        let inbound = try TCPProbe.connect(from: lab.outside, to: ns1.address, port: inside.port, timeout: .seconds(1))
        #expect(inbound.answer == nil, "a new inbound connection got into the subnet")

        _ = try LabNatgate.natgate(["disable", ns1.subnet, LabTopology.uplink], in: lab)
        #expect(try saved() == before)
        let cut = try TCPProbe.connect(from: ns1.namespace, to: outside.address, port: outside.port, timeout: .seconds(1))
        #expect(cut.answer == nil)
    }

    /// An nft masquerade ahead of natgate's nat chain: the connection works, but natgate's
    /// MASQUERADE never counts it, and status says which chain took over.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests"))
    func nftMasqueradeTakesOverAndStatusSaysSo() throws {
        let (lab, responder) = try LabNatgate.lab()
        defer { LabNatgate.remove(lab) }
        let ns1 = lab.inner[0]
        _ = try LabNatgate.natgate(["enable", ns1.subnet, LabTopology.uplink], in: lab)
        try lab.host.exec(["nft", "-f", Paths.root.appendingPathComponent("Fixtures/nftables/masquerade.nft").path])

        let outcome = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(3))
        #expect(outcome == .answered(LabTopology.uplinkAddress))
        #expect(try LabNatgate.natPackets(in: lab) == 0)
        let (exit, status) = try Self.status(lab)
        #expect(exit == 4)
        #expect(status.nftables?.findings.map { "\($0.table) \($0.chain) \($0.effect) \($0.certainty)" } == ["othernat postrouting nat certain"])
    }

    /// A firewalld-like native table rejects the gateway's new connections whatever natgate's
    /// legacy rules say; status names the reject rule, and its suggested accepts let ns1 through.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests"))
    func firewalldRejectBlocksAndTheSuggestionUnblocks() throws {
        let (lab, responder) = try LabNatgate.lab()
        defer { LabNatgate.remove(lab) }
        let ns1 = lab.inner[0]
        try lab.host.exec(["nft", "-f", Paths.root.appendingPathComponent("Fixtures/nftables/firewalld.nft").path])
        _ = try LabNatgate.natgate(["enable", ns1.subnet, LabTopology.uplink], in: lab)

        let blocked = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(1))
        #expect(blocked.answer == nil)
        let (exit, status) = try Self.status(lab)
        #expect(exit == 4)
        let finding = try #require(status.nftables?.findings.first)
        #expect([finding.table, finding.chain, finding.effect, finding.certainty] == ["firewalld", "filter_FORWARD", "reject", "certain"])

        for command in finding.suggestion.split(separator: "`").enumerated().filter({ $0.offset % 2 == 1 }) {
            try lab.host.exec(["sh", "-c", String(command.element)])
        }
        let through = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(3))
        #expect(through == .answered(LabTopology.uplinkAddress))
        #expect(try Self.status(lab).exit == 0)
    }
}
