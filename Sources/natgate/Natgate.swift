import ArgumentParser
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
}
