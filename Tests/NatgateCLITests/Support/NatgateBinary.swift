import Foundation
import Testing
import NatgateLab

/// Runs the built `natgate` executable, as a user would.
enum NatgateBinary {
    /// `natgate` next to the test bundle (`swift build --build-tests` builds both, in the
    /// configuration asked for), else in `.build/debug`; nil when neither is built.
    static let url: URL? = {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("natgate"))
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("natgate"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("natgate"))
        candidates.append(Paths.root.appendingPathComponent(".build/debug/natgate"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// The binary's path, for the suites that start it themselves; where it would be when it is not
    /// built (suites that need it are disabled then, with `notBuilt` as the reason).
    static var path: String { (url ?? Paths.root.appendingPathComponent(".build/debug/natgate")).path }

    /// Whether the binary is built.
    static var isBuilt: Bool { url != nil }

    /// Why a suite that runs the binary does not run.
    static let notBuilt: Comment = "the natgate binary is not built next to the tests; run swift build --build-tests"

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs the binary with `posix_spawn` (through NatgateKernel's test support), not Foundation's
    /// `Process`, whose `waitUntilExit` can miss a child's exit while other tests spawn processes.
    static func run(_ arguments: [String], input: String? = nil) throws -> Result {
        let binary = try #require(url, "natgate is not built: run swift build first")
        let result = try ThrowawayNamespace.execute([binary.path] + arguments, input: input ?? "")
        return Result(status: result.status, output: result.standardOutput, error: result.standardError)
    }

    static func fixture(_ name: String) -> String { Paths.hosts.appendingPathComponent(name).path }
    static func text(_ name: String) throws -> String { try String(contentsOfFile: fixture(name), encoding: .utf8) }
}
