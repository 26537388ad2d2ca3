import Foundation
@testable import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// The byte-identity check: a rule natgate commits must leave the kernel holding exactly the
/// bytes iptables-legacy leaves for the same rule.
///
/// Each case loads its rule with `iptables-legacy` in one throwaway namespace and with natgate
/// (`KernelBackend.update`) in another, reads both tables back entry by entry, and compares the
/// entries' comparable bytes (counters, `comefrom` and any payload past a codec's
/// `userspaceSize` zeroed). It also checks that natgate decodes iptables-legacy's entry into the
/// rule it was given, so that restoring the same rules changes nothing.
///
/// To check your extension, add cases to a parameterised test of your own:
///
/// ```swift
/// @Test(kernelTests, arguments: [
///     ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp --dport 22 -j ACCEPT"),
///     ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-o eth0 -j MASQUERADE"),
/// ])
/// func tcpIsByteIdentical(_ check: ByteIdentityCase) throws {
///     try check.verify()
/// }
/// ```
struct ByteIdentityCase: Sendable, CustomTestStringConvertible {
    var family: Family
    var table: TableName
    var chain: String
    /// The rule's words after `-A CHAIN`, as iptables-legacy takes them (and iptables-save
    /// prints them), passed through `/bin/sh`: quote as in a shell.
    var arguments: String
    /// User chains to create first in both namespaces (for `-j CHAIN` / `-g CHAIN`); `chain`
    /// itself is created when it is not built in.
    var userChains: [String]
    /// The rule natgate commits; nil to parse `arguments` with the model's parser.
    var rule: Rule?

    init(_ family: Family, _ table: TableName, _ chain: String, _ arguments: String, userChains: [String] = [], rule: Rule? = nil) {
        self.family = family
        self.table = table
        self.chain = chain
        self.arguments = arguments
        self.userChains = userChains
        self.rule = rule
    }

    var testDescription: String { "\(family == .ipv4 ? "iptables" : "ip6tables") -t \(table) -A \(chain) \(arguments)" }

    private var tool: String { family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy" }

    /// Runs the check and records an issue for every difference.
    func verify(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let chainName = try ChainName(chain)
        let rule = try self.rule ?? Rule(saveArguments: arguments, family: family, table: table, chain: chainName)
        var extraChains = userChains
        if !table.isBuiltin(chainName) { extraChains.insert(chain, at: 0) }

        try ThrowawayNamespace.with { legacy in
            try ThrowawayNamespace.with { natgate in
                // iptables-legacy writes the rule in one namespace…
                for extra in extraChains { try legacy.shell("\(tool) -w -t \(table) -N \(extra)") }
                try legacy.shell("\(tool) -w -t \(table) -A \(chain) \(arguments)")
                // …natgate in the other.
                let backend = KernelBackend(family: family, namespace: natgate.namespace)
                try backend.update(table: table) { current in
                    for extra in extraChains { current[chain: try ChainName(extra)] = Chain(name: try ChainName(extra)) }
                    current[chain: chainName]!.rules.append(rule)
                }

                let expected = try KernelBackend(family: family, namespace: legacy.namespace).rawEntries(table).filter { $0.chain == chain }
                let actual = try backend.rawEntries(table).filter { $0.chain == chain }
                #expect(actual.count == expected.count, "natgate wrote \(actual.count) entries, iptables-legacy \(expected.count)", sourceLocation: sourceLocation)
                for (mine, theirs) in zip(actual, expected) {
                    let a = mine.comparableBytes(), b = theirs.comparableBytes()
                    #expect(a == b, """
                        entry bytes differ from iptables-legacy's (natgate | iptables-legacy):
                        \(ByteIdentityCase.diff(a, b))
                        natgate:
                        \(mine.hexDump)
                        iptables-legacy:
                        \(theirs.hexDump)
                        """, sourceLocation: sourceLocation)
                }

                // natgate reads iptables-legacy's rule back as the rule it was given.
                let decoded = try KernelBackend(family: family, namespace: legacy.namespace).read(table)[chain: chainName]?.rules.first
                #expect(decoded?.withoutCounters == rule.withoutCounters, """
                    natgate decodes iptables-legacy's entry as
                      \(decoded.map { $0.saveArguments(family: family, table: table, chain: chainName) } ?? "nothing")
                    instead of
                      \(rule.saveArguments(family: family, table: table, chain: chainName))
                    """, sourceLocation: sourceLocation)

                // And both kernels print the same text.
                let saveLegacy = try legacy.shell("\(tool)-save -t \(table)").withoutCommentLines
                let saveNatgate = try natgate.shell("\(tool)-save -t \(table)").withoutCommentLines
                #expect(saveNatgate == saveLegacy, sourceLocation: sourceLocation)
            }
        }
    }

    /// Four bytes a line, with offsets, marking the lines that differ.
    static func diff(_ got: [UInt8], _ want: [UInt8]) -> String {
        var lines: [String] = []
        for start in stride(from: 0, to: max(got.count, want.count), by: 4) {
            func row(_ bytes: [UInt8]) -> String {
                (start..<start + 4).map { $0 < bytes.count ? String(bytes[$0], radix: 16).leftPadded(to: 2) : "--" }.joined(separator: " ")
            }
            let mark = row(got) == row(want) ? "  " : "!="
            if mark == "!=" || lines.count < 1000 { lines.append("\(String(start).leftPadded(to: 4, with: " ")): \(row(got)) \(mark) \(row(want))") }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// iptables-save output without its `#` lines (which carry a date).
    var withoutCommentLines: String {
        split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }
}
