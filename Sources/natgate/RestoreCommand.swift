import ArgumentParser
import Foundation
import Logging
import Natgate
import NatgateKernel
import NatgateModel

/// `natgate restore`: commits iptables-save text to the kernel, each table atomically.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Load iptables-save text into the kernel's legacy tables, each table atomically.",
        discussion: """
            Parses the text (as natgate fmt does), checks every rule, then commits each table it \
            holds with one atomic replace, under the xtables lock, like iptables-legacy-restore. \
            Only rules that differ from the kernel's are rewritten: rules that stay keep their \
            counters. When a later table fails, the tables already committed are restored, so the \
            kernel ends as it was or as asked. Equivalent to: iptables-legacy-restore [--noflush] [--test].

            With --backend nft (or auto finding natgate's chains in nf_tables), the tables of the text \
            replace iptables-nft's filter and nat tables in one netlink batch; rules that stay keep \
            their handles and counters. --noflush and policy changes are refused there (exit 1, \
            nothing changed). Equivalent to: iptables-nft-restore [--test].

            Exit status: 0 on success, 1 when the kernel refused the change (nothing changed; the \
            message says why), 2 when the text cannot be parsed (FILE:LINE:COLUMN: message).
            """)

    @Argument(help: "The file to read. Standard input when omitted or '-'.")
    var file: String?

    @Flag(name: [.short, .long], help: "Do not flush: keep the tables' other chains and rules, append to built-in chains, replace the user chains the text declares.")
    var noflush = false

    @Flag(name: [.short, .long], help: "Check and prepare everything, but commit nothing.")
    var test = false

    @Flag(name: [.short, .long], help: "Set the packet and byte counters the text gives.")
    var counters = false

    @Option(name: [.customShort("T"), .long], help: "Restore only this table of the text.")
    var table: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Wait at most this many seconds for the xtables lock another program holds (default 10).", valueName: "SECONDS"))
    var wait: Double = 10

    @Flag(name: [.short, .long], help: "Print what changed in each table and how long its commit took.")
    var verbose = false

    @OptionGroup var familyOptions: FamilyOptions
    @OptionGroup var namespaceOptions: NamespaceOptions

    func run() throws {
        // The text is optional, so that its memory goes once it is parsed (restore's peak is at
        // the commit, after it).
        let name: String
        var text: String?
        (name, text) = try readInput(file, command: "restore")
        let family = familyOptions.family
        // The lean parse (kernel entries written from each shape's template, without a model
        // rule per line) when the text allows it; the model's otherwise.
        var lean: LeanRuleset?
        var ruleset = Ruleset(family: family, tables: [])
        var only: TableName?
        do {
            only = try table.map { try TableName($0) }
            lean = try LeanRuleset(saveText: text!, family: family)
            if lean == nil {
                ruleset = try Ruleset(saveText: text!, family: family)
            }
            text = nil
            if let only {
                lean = lean?.only(only)
                ruleset.tables = ruleset.tables.filter { $0.name == only }
            }
        } catch let error as ModelError {
            let place = error.location.map { "\(name):\($0.line):\($0.column)" } ?? name
            FileHandle.standardError.write(Data("\(place): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let namespace = try namespaceOptions.namespace()
        if try namespaceOptions.resolvedBackend(in: namespace, command: "restore") == .nft {
            do {
                if let parsed = lean {
                    // The nft store writes model rules: the text, already checked, read again.
                    ruleset = try Ruleset(saveText: String(decoding: parsed.text, as: UTF8.self), family: family)
                    if let only { ruleset.tables = ruleset.tables.filter { $0.name == only } }
                    lean = nil
                }
                if noflush {
                    throw NatgateError(.system, "--noflush is not supported on the nft backend; nothing was changed. Restore whole tables, or use iptables-nft-restore --noflush.")
                }
                if let other = ruleset.tables.first(where: { $0.name != .filter && $0.name != .nat }) {
                    throw NatgateError(.system, "The nft backend restores only the filter and nat tables, not \(other.name); nothing was changed.")
                }
                if !counters { ruleset.tables = ruleset.tables.map(\.withoutRuleCounters) }
                var store = NFTablesRuleStore(namespace: namespace, logger: Logger(label: "natgate"))
                store.dryRun = test
                try store.replace(ruleset)
                if test { FileHandle.standardError.write(Data("natgate restore: test run, nothing committed\n".utf8)) }
            } catch {
                let wrapped = NatgateError(wrapping: error)
                FileHandle.standardError.write(Data("natgate restore: \(wrapped.message)\n".utf8))
                throw ExitCode(wrapped.kind == .system ? 1 : wrapped.exitCode)
            }
            return
        }
        let backend = KernelBackend(
            family: family, namespace: namespace,
            lock: XtablesLock(timeout: .milliseconds(Int64(max(0, wait) * 1000))))
        do {
            let options = KernelBackend.RestoreOptions(flush: !noflush, counters: counters, test: test)
            let report: UpdateReport
            if let parsed = lean {
                lean = nil
                report = try backend.restore(consume parsed, options: options)
            } else {
                // Handed over, not shared: restore releases each chain's rules once it has encoded them.
                let tables = ruleset.tables
                ruleset.tables = []
                report = try backend.restore(consume tables, options: options)
            }
            if test { FileHandle.standardError.write(Data("natgate restore: test run, nothing committed: \(report)\n".utf8)) }
            if verbose {
                let ms: (Duration) -> String = { $0.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))) }
                FileHandle.standardError.write(Data("read \(ms(report.readDuration)), prepare \(ms(report.prepareDuration)), \(report.attempts) attempt(s)\n".utf8))
                for table in report.tables {
                    let commit = table.commitDuration.map { " (commit \($0.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1)))))" } ?? ""
                    FileHandle.standardError.write(Data("\(table.table): +\(table.insertedRules) -\(table.deletedRules) rules, \(table.createdChains.count) chains created, \(table.deletedChains.count) deleted\(table.committed ? commit : ", not committed")\n".utf8))
                }
            }
        } catch let error as KernelError {
            FileHandle.standardError.write(Data("natgate restore: \(error)\n".utf8))
            throw ExitCode(error.exitStatus)
        }
    }
}
