import ArgumentParser
import Foundation
import Natgate
import NatgatePolicy

/// `natgate export`: the gateways that are enabled now, as a policy file that `natgate apply`
/// reproduces exactly. This is how an operator makes `/etc/natgate/gateways.json` for the systemd
/// unit from what is running.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print the enabled gateways as a policy file that `natgate apply` reproduces exactly.",
        discussion: """
            Both families, every option. Refuses (exit 1) when natgate's chains have drift or a family's \
            tables cannot be read: the gateways read back would then not be the whole truth. Run \
            `natgate status` to see why.

            natgate export > /etc/natgate/gateways.json
            """)

    /// `--json` is accepted like every gateway verb's; the output is a policy file either way (no
    /// `schemaVersion`: the file's own `version` says its format), and errors are JSON with it.
    @OptionGroup var options: GatewayCommonOptions

    func run() throws {
        try runGatewayVerb(options) { controller in
            let status = try controller.status()
            if let reason = ExportCommand.refusal(status) {
                printError(reason, exitCode: 1, json: options.json)
                return 1
            }
            let policy = PolicyFile(gateways: status.families.flatMap { $0.gateways.map(\.gateway) })
            FileHandle.standardOutput.write(try policy.encoded())
            return 0
        }
    }

    /// Why the gateways read back cannot be exported, if they cannot.
    static func refusal(_ status: Status) -> String? {
        for family in status.families {
            if let unreadable = family.unreadable {
                return "Cannot export: the \(family.family) tables could not be read (\(unreadable)); nothing was printed."
            }
        }
        let drift = status.families.flatMap(\.drift)
        if !drift.isEmpty {
            return "Cannot export: natgate's chains have drift, so the gateways read back may not be the ones enabled (\(drift.count) finding\(drift.count == 1 ? "" : "s"), first: \(drift[0])). Run `natgate status`, repair with `natgate apply` of your policy, then export again."
        }
        return nil
    }
}
