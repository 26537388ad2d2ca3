import ArgumentParser
import Foundation
import Logging
import Natgate
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

            With --backend nft (or auto finding natgate's chains in nf_tables), prints iptables-nft's \
            filter and nat tables instead, as iptables-nft-save prints them; a table holding rules \
            that are not iptables rules is refused (exit 3). Equivalent to: iptables-nft-save.

            Exit status: 0 on success, 1 when the kernel could not be read (the message says why), \
            2 for a bad option, 3 when the system refused.
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
        let namespace = try namespaceOptions.namespace()
        if try namespaceOptions.resolvedBackend(in: namespace, command: "save") == .nft {
            do {
                let names = try table.map { [try TableName($0)] } ?? [.filter, .nat]
                if let other = names.first(where: { $0 != .filter && $0 != .nat }) {
                    throw NatgateError(.invalidInput, "The nft backend saves only the filter and nat tables, not \(other).")
                }
                let store = NFTablesRuleStore(namespace: namespace, logger: Logger(label: "natgate"))
                var ruleset = try store.ruleset(familyOptions.family, tables: names)
                if !counters { ruleset.tables = ruleset.tables.map(\.withoutRuleCounters) }
                FileHandle.standardOutput.write(Data(ruleset.saveText().utf8))
            } catch {
                let wrapped = NatgateError(wrapping: error)
                FileHandle.standardError.write(Data("natgate save: \(wrapped.message)\n".utf8))
                throw ExitCode(wrapped.exitCode)
            }
            return
        }
        let backend = KernelBackend(family: familyOptions.family, namespace: namespace)
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
