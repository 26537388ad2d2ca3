import Foundation
import Testing
import NatgateEngine
import NatgateLab

/// The `natgate` verbs a user types, run as the built binary with `--netns` on a lab's host, with
/// real traffic between them.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndCLITests {
    /// Conntrack evidence through the CLI: `natgate status --json` counts one MASQUERADE packet per
    /// new connection from ns1, and `natgate disable` cuts ns1 off again.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests"))
    func enableStatusDisableThroughTheCommandLine() throws {
        let (lab, responder) = try LabNatgate.lab()
        defer { LabNatgate.remove(lab) }
        let ns1 = lab.inner[0]

        _ = try LabNatgate.natgate(["enable", ns1.subnet, LabTopology.uplink], in: lab)
        #expect(try LabNatgate.natPackets(in: lab) == 0)
        for _ in 0..<2 {
            let outcome = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(3))
            #expect(outcome == .answered(LabTopology.uplinkAddress))
        }
        #expect(try LabNatgate.natPackets(in: lab) == 2)
        #expect(try LabNatgate.natgate(["status"], in: lab).contains("10.200.1.0/24  eth0    -    -              2"))

        _ = try LabNatgate.natgate(["disable", ns1.subnet, LabTopology.uplink], in: lab)
        let after = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(1))
        #expect(after.answer == nil)
        #expect(try lab.host.sysctl("net.ipv4.ip_forward") == "0")
    }
}
