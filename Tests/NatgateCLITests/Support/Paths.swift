import Foundation
import NatgateModel

/// Where the package's fixtures and documents are: found from this file, up to the directory with
/// Package.swift, so that moving this file does not silently point the fixture suites at nothing.
enum Paths {
    static let root: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory
    }()
    static let hosts = root.appendingPathComponent("Fixtures/hosts")
    static let policies = root.appendingPathComponent("Fixtures/policies")

    static var policyNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: policies.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The family of a host fixture: `-v6` names are IPv6.
    static func family(ofHost name: String) -> Family { name.hasSuffix("-v6") ? .ipv6 : .ipv4 }
}
