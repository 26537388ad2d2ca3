import Foundation
import Testing
import NatgateEngine
import NatgateLab

/// Whether this process may create network namespaces: the lab suites need root.
let isRoot = getuid() == 0
let rootReason: Comment = "needs root to create network namespaces; run Scripts/test as root"

/// The built `natgate` run on a lab's host (`--netns`), with real traffic through it.
enum LabNatgate {
    /// Where the binary keeps its forwarding records in these tests: a directory of this test
    /// process, not /run/natgate, also when the tests run without Scripts/test.
    static let stateDirectory: String = {
        let path = NSTemporaryDirectory() + "natgate-e2e-cli-state-\(getpid())"
        atexit { try? FileManager.default.removeItem(atPath: LabNatgate.stateDirectory) }
        return path
    }()

    /// The binary with `arguments`, its forwarding records kept in `stateDirectory`.
    static func command(_ arguments: [String]) -> [String] {
        ["/usr/bin/env", "NATGATE_STATE_DIRECTORY=\(stateDirectory)", NatgateBinary.path] + arguments
    }

    /// Runs `natgate ARGUMENTS… --netns HOST` and returns its standard output; a non-zero exit fails.
    static func natgate(_ arguments: [String], in lab: LabTopology) throws -> String {
        let result = try ChildProcess.run(command(arguments + ["--netns", lab.host.name]))
        #expect(result.status == 0, "natgate \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        return result.standardOutput
    }

    /// The MASQUERADE packets `natgate status --json` counts over every gateway.
    static func natPackets(in lab: LabTopology) throws -> UInt64 {
        let json = try natgate(["status", "--json"], in: lab)
        let status = try JSONDecoder().decode(Status.self, from: Data(json.utf8))
        return status.families.flatMap(\.gateways).reduce(0) { $0 + $1.natPackets }
    }

    /// A fresh lab with a responder on its outside; `remove(_:)` it when done.
    static func lab() throws -> (LabTopology, TCPResponder) {
        let lab = try LabTopology()
        do {
            return (lab, try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress))
        } catch {
            lab.remove()
            throw error
        }
    }

    /// Flushes natgate's rules from the lab's host, then removes the lab.
    static func remove(_ lab: LabTopology) {
        _ = try? ChildProcess.run(command(["flush", "--netns", lab.host.name]))
        lab.remove()
    }
}
