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
        let arguments = Array(CommandLine.arguments.dropFirst())
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
}
