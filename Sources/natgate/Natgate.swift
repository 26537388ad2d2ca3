import ArgumentParser
import Foundation
import Natgate

@main
struct NatgateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "natgate",
        abstract: "Give network namespaces Internet access through NAT rules natgate owns.",
        version: NatgateVersion.current,
        subcommands: [
            // Gateways, the job operators come for.
            EnableCommand.self, DisableCommand.self, StatusCommand.self, PlanCommand.self,
            ApplyCommand.self, FlushCommand.self, ExportCommand.self, RenderCommand.self,
            // The article's scenario, end to end, in throwaway namespaces.
            DemoCommand.self,
            // iptables-save text and the kernel's tables.
            SaveCommand.self, RestoreCommand.self, FmtCommand.self, DebugEntriesCommand.self,
        ]
    )

    /// ArgumentParser's `main`, except that a command line it cannot parse (exit 64) is reported as
    /// an `ErrorOutput` when it asks for `--json`. `--help` and `--version` stay text.
    static func main() {
        // One malloc arena for every thread: the work for another namespace runs on a thread of
        // its own, and with an arena of its own it could not reuse what the main thread freed
        // (restore of 10,000 gateways with --netns peaked 8 MiB higher than without).
        _ = glibcMallopt(-8 /* M_ARENA_MAX, malloc.h */, 1)
        let arguments = movingBackendOption(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error).rawValue
            if code == ExitCode.validationFailure.rawValue, (arguments.firstIndex(of: "--") ?? arguments.endIndex) > (arguments.firstIndex(of: "--json") ?? arguments.endIndex) {
                printError(message(for: error), exitCode: code, json: true)
                Foundation.exit(code)
            }
            exit(withError: error)
        }
    }

    /// `natgate --backend nft apply …`: a `--backend` given before the verb goes after it (before
    /// any `--`), where every verb that touches the kernel takes it.
    static func movingBackendOption(_ arguments: [String]) -> [String] {
        var rest = arguments
        var moved: [String] = []
        while let first = rest.first {
            if first == "--backend", rest.count > 1 {
                moved += rest.prefix(2)
                rest.removeFirst(2)
            } else if first.hasPrefix("--backend=") {
                moved.append(first)
                rest.removeFirst()
            } else {
                break
            }
        }
        guard !moved.isEmpty else { return arguments }
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: moved, at: end)
        return rest
    }
}

/// glibc's `mallopt(3)`, which the Glibc module does not export (malloc.h is not in its map).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
