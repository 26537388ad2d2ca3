import Foundation
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// The `natgate` verbs a user types, run as the built binary with `--netns` on a lab's host, with
/// real traffic between them.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndCLITests {
    static let binary = EndToEndDemoTests.binary

    /// The binary with `arguments`, its forwarding records kept where the in-process tests keep
    /// theirs (a directory of this test process), not in /run/natgate.
    static func command(_ arguments: [String]) -> [String] {
        ["/usr/bin/env", "NATGATE_STATE_DIRECTORY=\(EndToEndGatewayTests.stateDirectory)", binary] + arguments
    }

    /// Runs `natgate ARGUMENTS… --netns HOST` and returns its standard output; a non-zero exit fails.
    static func natgate(_ arguments: [String], in lab: LabTopology) throws -> String {
        let result = try ChildProcess.run(command(arguments + ["--netns", lab.host.name]))
        #expect(result.status == 0, "natgate \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        return result.standardOutput
    }

    static func natPackets(in lab: LabTopology) throws -> UInt64 {
        let json = try natgate(["status", "--json"], in: lab)
        let status = try JSONDecoder().decode(Status.self, from: Data(json.utf8))
        return status.families.flatMap(\.gateways).reduce(0) { $0 + $1.natPackets }
    }

    /// Conntrack evidence through the CLI: `natgate status --json` counts one MASQUERADE packet per
    /// new connection from ns1, and `natgate disable` cuts ns1 off again.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary), "the natgate binary is not built next to the tests"))
    func enableStatusDisableThroughTheCommandLine() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        defer { _ = try? ChildProcess.run(Self.command(["flush", "--netns", lab.host.name])) }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let ns1 = lab.inner[0]

        _ = try Self.natgate(["enable", ns1.subnet, LabTopology.uplink], in: lab)
        #expect(try Self.natPackets(in: lab) == 0)
        for _ in 0..<2 {
            let outcome = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(3))
            #expect(outcome == .answered(LabTopology.uplinkAddress))
        }
        #expect(try Self.natPackets(in: lab) == 2)
        #expect(try Self.natgate(["status"], in: lab).contains("10.200.1.0/24  eth0    -    -              2"))

        _ = try Self.natgate(["disable", ns1.subnet, LabTopology.uplink], in: lab)
        let after = try TCPProbe.connect(from: ns1.namespace, to: responder.address, port: responder.port, timeout: .seconds(1))
        #expect(after.answer == nil)
        #expect(try lab.host.sysctl("net.ipv4.ip_forward") == "0")
    }
}
