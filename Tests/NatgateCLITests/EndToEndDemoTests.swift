import Foundation
import Testing
import NatgateEngine
import NatgateLab

/// `natgate demo`, run as the README runs it: the built binary, whole, as a child process.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndDemoTests {
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests; run swift build --build-tests"))
    func demoSucceedsAndLeavesNothingBehind() throws {
        // The xtables lock path as every iptables user would take it: the demo must not create it
        // (it left /run/xtables.lock on a host that had none).
        let sharedLock = NSTemporaryDirectory() + "natgate-demo-test-\(UUID().uuidString).lock"
        defer { unlink(sharedLock) }
        let result = try ChildProcess.run(["/usr/bin/env", "XTABLES_LOCKFILE=\(sharedLock)", NatgateBinary.path, "demo"])
        #expect(!FileManager.default.fileExists(atPath: sharedLock), "the demo left \(sharedLock)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(result.status == 0, "natgate demo printed:\n\(result.standardOutput)\(result.standardError)")
        #expect(!result.standardOutput.contains("NOT AS EXPECTED"))
        #expect(lines.last?.hasPrefix("The traffic was masqueraded (ns1's 10.200.1.2 reached the outside as 203.0.113.2) and cut off again after disable.") == true)
        #expect(lines.contains { $0.contains("the responder saw the connection come from 203.0.113.2") })
        // Every namespace the demo named is gone.
        let named = Set(lines.flatMap { $0.split(separator: " ") }.filter { $0.hasPrefix(LabNamespace.namePrefix) }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ":,")) })
        #expect(named.count == 3)
        for name in named { #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"), "\(name) was left behind") }
    }

    /// SIGTERM in the middle of the demo (after a second, while it waits on a blocked
    /// connection) removes every namespace it made, and the demo exits 143 as a shell would.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built next to the tests"))
    func sigtermRemovesTheDemosNamespaces() throws {
        let script = #""$0" demo >/dev/null 2>&1 & pid=$!; sleep 1; kill -TERM "$pid"; wait "$pid"; echo "$pid $?""#
        let result = try ChildProcess.run(["sh", "-c", script, NatgateBinary.path])
        let words = result.standardOutput.split(whereSeparator: \.isWhitespace)
        let pid = try #require(words.first.map(String.init))
        #expect(words.last == "143", "natgate demo exited \(words.last ?? "?"), not 143 (128 + SIGTERM)")
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix("\(LabNamespace.namePrefix)\(pid)-") }
        #expect(left.isEmpty, "left behind: \(left)")
        // Nor the record of the forwarding value it found in the lab's host.
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "natgate-demo-state-\(pid)"))
    }
}
