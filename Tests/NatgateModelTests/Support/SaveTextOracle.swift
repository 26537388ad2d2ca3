import Foundation
import Testing
@testable import NatgateModel
import NatgateLab

/// The oracle for the text form: rulesets loaded with iptables-legacy-restore and printed back with
/// iptables-legacy-save in `unshare --net`.
enum SaveTextOracle {
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        return ["/usr/bin/unshare", "/usr/sbin/iptables-legacy-restore", "/usr/sbin/ip6tables-legacy-save"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// What `*-legacy-save -t TABLE` prints for each table, `#` lines removed, after restoring
    /// `text` in a new network namespace.
    static func saved(_ text: String, tables: [TableName], family: Family) throws -> String {
        let tool = family == .ipv4 ? "iptables" : "ip6tables"
        let saves = tables.map { "\(tool)-legacy-save -t \($0)" }.joined(separator: " && ")
        // The rules go through a file, which the shell redirects into iptables-legacy-restore.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("natgate-oracle-\(UUID().uuidString).rules")
        try Data(text.utf8).write(to: file)
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(atPath: file.path + ".lock")
        }
        // A lock file of its own: /run/xtables.lock is shared by every namespace, and another
        // test may hold it on purpose; iptables 1.8.9 would wait for it forever.
        var environment = ProcessInfo.processInfo.environment
        environment["XTABLES_LOCKFILE"] = file.path + ".lock"
        let result = try ChildProcess.run(
            ["/usr/bin/unshare", "--net", "--", "/bin/sh", "-c", "\(tool)-legacy-restore --counters < \"$0\" && \(saves)", file.path],
            environment: environment)
        guard result.status == 0 else {
            throw ModelError(.syntax, input: text, "\(tool)-legacy-restore refused it: \(result.standardError)")
        }
        let data = Data(result.standardOutput.utf8)
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }
}
