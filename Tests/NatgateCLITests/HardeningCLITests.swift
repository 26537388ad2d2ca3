import Foundation
import Testing
import NatgateEngine
import NatgateLab

/// The built binary refusing what it cannot do: every verb run without root fails with the
/// permission message and status 3 (none reports "nothing here"), and bad input (an invalid
/// `--netns`, an unreadable or non-UTF-8 file, a control character in a name) is status 2 in the
/// input's own words, with the kernel left as it was.
@Suite(.serialized, .enabled(if: isRoot && NatgateBinary.isBuilt, rootReason))
struct HardeningCLITests {
    /// A directory anyone may write, for the unprivileged runs' state files and inputs.
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("natgate-hardening-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        return path
    }

    /// `natgate ARGUMENTS…` run inside `namespace` (entered as root by `ip netns exec`), then as
    /// user nobody with no capabilities when `unprivileged`.
    static func run(_ arguments: [String], in namespace: LabNamespace, state: String, unprivileged: Bool = false) throws -> ChildProcess.Output {
        let drop = unprivileged ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        return try ChildProcess.run(
            ["ip", "netns", "exec", namespace.name] + drop + ["/usr/bin/env", "NATGATE_STATE_DIRECTORY=\(state)", NatgateBinary.path] + arguments)
    }

    @Test func everyVerbWithoutRootFailsWithThePermissionMessage() throws {
        let namespace = try LabNamespace.create(LabNamespace.uniqueName(role: "noroot"))
        defer { namespace.remove() }
        let state = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let policy = state + "/policy.json"
        try Data(#"{"version": 1, "gateways": [{"subnet": "10.200.1.0/24", "uplink": "eth0"}]}"#.utf8).write(to: URL(fileURLWithPath: policy))
        let rules = state + "/rules"
        try Data("*filter\n-A FORWARD -j ACCEPT\nCOMMIT\n".utf8).write(to: URL(fileURLWithPath: rules))
        // Tables exist in the namespace, so that "no tables" would be a lie.
        _ = try Self.run(["enable", "10.200.9.0/24", "eth0", "--no-sysctl"], in: namespace, state: state)
        let verbs: [[String]] = [
            ["status"], ["status", "--check"], ["save"], ["save", "-6"], ["save", "-t", "nat"], ["flush"], ["plan", "flush"],
            ["disable", "10.200.9.0/24", "eth0"], ["enable", "10.200.1.0/24", "eth0"], ["plan", "enable", "10.200.1.0/24", "eth0"],
            ["apply", policy], ["plan", "apply", policy], ["restore", rules], ["restore", "--test", rules], ["debug-entries"],
        ]
        for verb in verbs {
            let result = try Self.run(verb, in: namespace, state: state, unprivileged: true)
            #expect(result.status == 3, "natgate \(verb.joined(separator: " ")) exited \(result.status): \(result.standardOutput) \(result.standardError)")
            #expect(result.standardError.contains("Permission denied"), "natgate \(verb.joined(separator: " ")): \(result.standardError)")
            #expect(result.standardOutput.isEmpty, "natgate \(verb.joined(separator: " ")) printed: \(result.standardOutput)")
        }
        // Still there: nothing the unprivileged runs did changed the tables.
        #expect(try Self.run(["status", "-v"], in: namespace, state: state).standardOutput.contains("10.200.9.0/24 eth0"))
    }

    @Test func badInputIsStatus2InTheInputsOwnWords() throws {
        let namespace = try LabNamespace.create(LabNamespace.uniqueName(role: "badin"))
        defer { namespace.remove() }
        let state = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let notUTF8 = state + "/latin1.rules"
        try Data("*filter\n-A FORWARD -m comment --comment caf\u{E9} -j ACCEPT\nCOMMIT\n".data(using: .isoLatin1)!).write(to: URL(fileURLWithPath: notUTF8))
        let policy = state + "/v4.json"
        try Data(#"{"version": 1, "gateways": [{"subnet": "10.200.1.0/24", "uplink": "eth0"}]}"#.utf8).write(to: URL(fileURLWithPath: policy))
        let cases: [([String], String)] = [
            (["render", "-6", policy], "no IPv6 gateway to render"),
            (["save", "--netns", ".."], "'..' is not a namespace name"),
            (["status", "--netns", "a/b"], "'a/b' is not a namespace name"),
            (["status", "--netns", "natgate-test-no-such-namespace"], "There is no network namespace at /run/netns/natgate-test-no-such-namespace"),
            (["fmt", state], "is a directory"),
            (["fmt", state + "/missing.rules"], "no such file"),
            (["apply", state + "/missing.json"], "no such file"),
            (["fmt", notUTF8], "not UTF-8 text (byte 0xE9"),
            (["restore", "--test", notUTF8], "not UTF-8 text (byte 0xE9"),
            (["enable", "10.200.1.0", "eth0"], "did you mean 10.200.1.0/24?"),
            (["enable", "010.200.1.0/24", "eth0"], "leading zero"),
            (["enable", "::ffff:10.200.1.0/120", "eth0"], "IPv4-mapped"),
            (["enable", "10.200.1.0/24", "eth0\u{1b}[2J"], #"'eth0\u{1B}[2J'"#),
            (["disable", "10.200.1.0/24", ".."], "'..' is not allowed"),
        ]
        for (arguments, words) in cases {
            let result = try Self.run(arguments, in: namespace, state: state)
            #expect(result.status == 2, "natgate \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
            #expect(result.standardError.contains(words), "natgate \(arguments.joined(separator: " ")): \(result.standardError)")
            #expect(!result.standardError.contains("NSCocoaErrorDomain"))
            #expect(result.standardOutput.isEmpty, "natgate \(arguments.joined(separator: " ")) printed: \(result.standardOutput)")
        }
    }

    /// A NUL in a policy's uplink crashed `apply` (SIGILL) after it had already removed gateways.
    @Test func aNulInAPolicyIsRefusedBeforeAnythingChanges() throws {
        let namespace = try LabNamespace.create(LabNamespace.uniqueName(role: "nul"))
        defer { namespace.remove() }
        let state = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: state) }
        #expect(try Self.run(["enable", "10.200.9.0/24", "eth0", "--no-sysctl"], in: namespace, state: state).status == 0)
        let before = try Self.run(["save"], in: namespace, state: state).standardOutput
        let policy = state + "/nul.json"
        try Data(#"{"version": 1, "gateways": [{"subnet": "10.200.1.0/24", "uplink": "eth0\u0000"}]}"#.utf8).write(to: URL(fileURLWithPath: policy))
        let result = try Self.run(["apply", policy, "--no-sysctl"], in: namespace, state: state)
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains(#"'eth0\0'"#), "\(result.standardError)")
        #expect(try Self.run(["save"], in: namespace, state: state).standardOutput == before)
    }
}
