import Foundation
import Testing
@testable import NatgateModel

/// The host fixtures: `Fixtures/hosts/NAME.rules` and the `NAME.canonical` that
/// `Fixtures/regenerate` made with iptables-legacy-restore and iptables-legacy-save.
enum HostFixtures {
    // Tests/<Target>/Support/this file: four levels up is the package.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hosts")

    /// Every fixture name, sorted.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".rules") }.map { String($0.dropLast(".rules".count)) }.sorted()
    }()

    static func family(_ name: String) -> Family { name.hasSuffix("-v6") ? .ipv6 : .ipv4 }

    static func text(_ name: String, _ suffix: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("\(name).\(suffix)"), encoding: .utf8)
    }
}
