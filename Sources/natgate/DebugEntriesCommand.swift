import ArgumentParser
import Foundation
import NatgateKernel
import NatgateModel

/// `natgate debug-entries`: the kernel's bytes of each rule of a table, for comparing natgate's
/// encoder with what iptables-legacy writes.
struct DebugEntriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-entries",
        abstract: "Print the kernel entry bytes of every rule of a table, as hex (a debugging aid).")

    @Option(name: [.short, .long], help: "The table to dump.")
    var table: String = "filter"

    @Option(help: "Only this chain.")
    var chain: String?

    @Flag(help: "Print the comparable bytes (counters, comefrom and kernel-private payload zeroed).")
    var comparable = false

    @OptionGroup var familyOptions: FamilyOptions
    @OptionGroup var namespaceOptions: NamespaceOptions

    func run() throws {
        let table = try TableName(table)
        if try namespaceOptions.backendChoice() == .nft {
            FileHandle.standardError.write(Data("natgate debug-entries: x_tables entries exist only on the legacy backend; on nft, read the rules with `nft --debug=netlink list table`.\n".utf8))
            throw ExitCode(2)
        }
        let backend = KernelBackend(family: familyOptions.family, namespace: try namespaceOptions.namespace())
        let entries: [RawEntry]
        do { entries = try backend.rawEntries(table) } catch let error as KernelError {
            FileHandle.standardError.write(Data("natgate debug-entries: \(error)\n".utf8))
            throw ExitCode(error.exitStatus)
        }
        for var entry in entries where chain == nil || entry.chain == chain {
            if comparable { entry.bytes = entry.comparableBytes() }
            print(entry.hexDump)
        }
    }
}
