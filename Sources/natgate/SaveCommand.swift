import ArgumentParser
import Foundation
import NatgateKernel
import NatgateModel

/// `natgate save`: the kernel's tables in canonical iptables-save text.
struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Print the kernel's legacy iptables tables as canonical iptables-save text.",
        discussion: """
            Reads the tables through libiptc and prints what iptables-legacy-save (ip6tables-legacy-save \
            with -6) prints, without its '#' lines. Equivalent to: iptables-legacy-save [-c] [-t TABLE].

            Exit status: 0 on success, 1 when the kernel could not be read (the message says why).
            """)

    @Option(name: [.short, .long], help: "Print only this table (filter, nat, mangle, raw, security). Default: every table in use.")
    var table: String?

    @Flag(name: [.short, .long], help: "Print each rule's packet and byte counters ([packets:bytes] -A …).")
    var counters = false

    @OptionGroup var familyOptions: FamilyOptions
    @OptionGroup var namespaceOptions: NamespaceOptions

    func validate() throws {
        if let table { _ = try TableName(table) }
    }

    func run() throws {
        let backend = KernelBackend(family: familyOptions.family, namespace: try namespaceOptions.namespace())
        do {
            let names = try table.map { [try TableName($0)] } ?? backend.tablesInUse()
            var tables = try backend.read(names)
            if !counters {
                tables = tables.map(\.withoutRuleCounters)
            }
            FileHandle.standardOutput.write(Data(Ruleset(family: familyOptions.family, tables: tables).saveText().utf8))
        } catch let error as KernelError {
            FileHandle.standardError.write(Data("natgate save: \(error)\n".utf8))
            throw ExitCode(error.exitStatus)
        }
    }
}
