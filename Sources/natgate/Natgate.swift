import ArgumentParser

@main
struct NatgateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "natgate",
        abstract: "Give network namespaces Internet access through NAT rules natgate owns.",
        subcommands: [
            DebugEntriesCommand.self,
            DemoCommand.self,
            FmtCommand.self,
            RestoreCommand.self,
            SaveCommand.self,
            EnableCommand.self, DisableCommand.self, StatusCommand.self, PlanCommand.self, ApplyCommand.self, FlushCommand.self,
            RenderCommand.self,
        ]
    )
}
