import Foundation
import Glibc
import NatgateModel
import NatgatePolicy
import Testing
import NatgateLab
import NatgateEngine

/// `natgate apply` killed (SIGKILL) at a random moment: afterwards the gateways are those before
/// or those asked for, or `status --check` fails saying a change was interrupted; the next
/// `apply` gives the policy exactly, with a clean `status --check`.
@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct KillTests {
    /// What the test reads of `status --json`.
    struct StatusJSON: Decodable {
        struct Family: Decodable {
            struct GatewayStatus: Decodable { var gateway: Gateway }
            var gateways: [GatewayStatus]
            var drift: [String]
        }
        var families: [Family]
        var interruptedChange: String?
        var gateways: [Gateway] { families.flatMap { $0.gateways.map(\.gateway) } }
    }

    /// Starts `natgate ARGUMENTS… --netns NAME`, output discarded; returns its pid.
    static func spawn(_ arguments: [String], namespace: String, state: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let all = [NatgateBinary.path] + arguments + ["--netns", namespace]
        let argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        var environment = ProcessInfo.processInfo.environment
        environment["NATGATE_STATE_DIRECTORY"] = state
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, NatgateBinary.path, &actions, nil, argv, envp)
        guard result == 0 else { throw NatgateError(.system, "could not start natgate: errno \(result)") }
        return pid
    }

    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// Runs natgate to its end and returns its exit status and standard output.
    static func natgate(_ arguments: [String], _ scratch: Scratch) throws -> (status: Int32, output: String) {
        let result = try ThrowawayNamespace.execute(
            [NatgateBinary.path] + arguments + ["--netns", scratch.namespace.name], environment: ["NATGATE_STATE_DIRECTORY": scratch.state])
        return (result.status, result.standardOutput + result.standardError)
    }

    static func status(_ scratch: Scratch) throws -> StatusJSON {
        try JSONDecoder().decode(StatusJSON.self, from: Data(try natgate(["status", "--json"], scratch).output.utf8))
    }

    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built"))
    func applyKilledAtARandomMomentLeavesBeforeAfterOrAVisibleInterruption() throws {
        try Scratch.with { scratch in
            let size = 200
            let a = try TwoPolicies.a(size)
            let b = try TwoPolicies.b(size)
            let fileA = scratch.state + "/a.json"
            let fileB = scratch.state + "/b.json"
            try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
            try TwoPolicies.file(a).write(to: URL(fileURLWithPath: fileA))
            try TwoPolicies.file(b).write(to: URL(fileURLWithPath: fileB))

            // The kernel's text after an uninterrupted apply of B, and how long one apply takes
            // (only to spread the kill moments over it).
            #expect(try Self.natgate(["apply", fileA], scratch).status == 0)
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try Self.natgate(["apply", fileB], scratch).status == 0)
            let span = clock.now - started
            // Tables and ip sets: the binary keeps gateways as set members.
            let expectedB = try scratch.saveAll()
            #expect(expectedB.contains("create natgate-"))

            var random = SeededRandom(seed: 15)
            var outcomes: [String: Int] = [:]
            for iteration in 0..<16 {
                let back = try Self.natgate(["apply", fileA], scratch)
                #expect(back.status == 0, "\(iteration): apply A: \(back.output)")
                let pid = try Self.spawn(["apply", fileB], namespace: scratch.namespace.name, state: scratch.state)
                let delay = Double(span.components.attoseconds / 1_000_000_000_000 + span.components.seconds * 1_000_000) * Double.random(in: 0.2...1.1, using: &random)
                usleep(UInt32(delay))
                kill(pid, SIGKILL)
                _ = Self.wait(pid)

                let status = try Self.status(scratch)
                let check = try Self.natgate(["status", "--check"], scratch)
                if let interrupted = status.interruptedChange {
                    outcomes["interrupted", default: 0] += 1
                    #expect(check.status == 1, "\(iteration): status --check exited \(check.status) with an interrupted change")
                    #expect(check.output.contains("A change was interrupted"), "\(iteration): \(check.output)")
                    #expect(interrupted.contains("apply"))
                } else {
                    let gateways = status.gateways
                    #expect(gateways == a.gateways || gateways == b.gateways,
                            "\(iteration): killed after \(Int(delay)) µs: \(gateways.count) gateways, neither before nor after, and no interrupted change reported")
                    #expect(check.status == 0, "\(iteration): \(check.output)")
                    outcomes[gateways == a.gateways ? "before" : gateways == b.gateways ? "after" : "neither", default: 0] += 1
                }

                let again = try Self.natgate(["apply", fileB], scratch)
                #expect(again.status == 0, "\(iteration): apply B again: \(again.output)")
                #expect(try Self.natgate(["status", "--check"], scratch).status == 0)
                #expect(try Self.status(scratch).gateways == b.gateways)
                #expect(try scratch.saveAll() == expectedB)
            }
            print("kill outcomes over 16 runs: \(outcomes.sorted { $0.key < $1.key })")
        }
    }
}
