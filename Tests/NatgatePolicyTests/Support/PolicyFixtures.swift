import Foundation
import NatgateModel
import NatgatePolicy
import NatgateTesting
import Testing

/// The policy fixtures: `Fixtures/policies/NAME.json` and the rules it compiles to, `NAME.rules`.
///
/// Regenerate the `.rules` files after an intended change with
/// `NATGATE_REGENERATE=1 swift test --filter Golden`, then review the diff. The kernel suite
/// (NatgateTests) checks that the same rules, committed, are what iptables-legacy-save prints.
enum PolicyFixtures {
    // Tests/<Target>/Support/this file: four levels up is the package.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/policies")

    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func policy(_ name: String) throws -> PolicyFile {
        try PolicyFile.decode(try Data(contentsOf: directory.appendingPathComponent("\(name).json")), name: "\(name).json")
    }

    /// The family of a fixture: every fixture holds gateways of one family.
    static func family(_ policy: PolicyFile) -> Family { policy.gateways.first?.family ?? .ipv4 }

    static func expectedRules(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("\(name).rules"), encoding: .utf8)
    }
}
