import Foundation
import Testing
@testable import NatgateModel
import NatgateLab

/// Generated rulesets loaded into the kernel with iptables-legacy-restore in a throwaway network
/// namespace (`unshare --net`) and saved with iptables-legacy-save: natgate's text must be the same
/// bytes. Runs as root where the legacy tools exist; elsewhere it is skipped.
@Suite(.serialized, .enabled(if: SaveTextOracle.available, "needs root, unshare and iptables-legacy"))
struct SaveTextOracleTests {
    @Test(arguments: [(UInt64(1), Family.ipv4), (2, .ipv6), (3, .ipv4), (4, .ipv6), (5, .ipv4), (6, .ipv6)])
    func generatedRulesFormatAsIptablesSavePrintsThem(seed: UInt64, family: Family) throws {
        var generator = RuleGenerator(seed: seed &* 104_729)
        let targets: [TableName: Set<String>] = [
            .filter: ["REJECT", "LOG"], .nat: ["MASQUERADE", "SNAT", "DNAT", "REDIRECT", "LOG"],
            .mangle: ["MARK", "CONNMARK", "TCPMSS", "CHECKSUM", "LOG"], .raw: ["CT", "NOTRACK", "LOG"],
        ]
        var lines: [(table: TableName, line: String)] = []
        for table in [TableName.raw, .mangle, .nat, .filter] {
            for _ in 0..<40 {
                let chain = generator.random.pick(table.builtinChains).rawValue
                var words = generator.rule(family: family, chain: chain, targets: targets[table], kernelOnly: true).words
                if table == .nat, words.contains("-j DROP") { words = words.replacingOccurrences(of: "-j DROP", with: "-j ACCEPT") }
                lines.append((table, "-A \(chain) \(words)"))
            }
        }
        // Rules the kernel refuses are dropped one by one: they are validation gaps, not text.
        var refused: [String] = []
        var accepted: [(table: TableName, line: String)] = []
        for table in [TableName.raw, .mangle, .nat, .filter] {
            let entries = lines.filter { $0.table == table }
            let whole = "*\(table)\n" + entries.map { $0.line + "\n" }.joined() + "COMMIT\n"
            if (try? SaveTextOracle.saved(whole, tables: [table], family: family)) != nil {
                accepted += entries
                continue
            }
            for entry in entries {
                if (try? SaveTextOracle.saved("*\(table)\n\(entry.line)\nCOMMIT\n", tables: [table], family: family)) != nil {
                    accepted.append(entry)
                } else {
                    refused.append(entry.line)
                }
            }
        }
        var text = ""
        for table in [TableName.raw, .mangle, .nat, .filter] {
            text += "*\(table)\n" + accepted.filter { $0.table == table }.map { $0.line + "\n" }.joined() + "COMMIT\n"
        }
        let expected = try SaveTextOracle.saved(text, tables: [.raw, .mangle, .nat, .filter], family: family)
        let ruleset = try Ruleset(saveText: text, family: family)
        let ours = ruleset.saveText().split(separator: "\n").map(String.init)
        let theirs = expected.split(separator: "\n").map(String.init)
        #expect(ours.count == theirs.count)
        for (mine, real) in zip(ours, theirs) where mine != real {
            Issue.record("seed \(seed) \(family):\n  natgate:  \(mine)\n  iptables: \(real)")
        }
        // The generator stays within what the kernel accepts, so that this test checks text.
        #expect(refused.count * 10 <= lines.count, "the kernel refused \(refused.count) of \(lines.count):\n\(refused.joined(separator: "\n"))")
    }

    /// iptables reads `-s`/`-d` numbers with `strtoul(…, 0)` (octal, hexadecimal, missing parts
    /// zero): natgate's text of the same input is what iptables-legacy-save prints.
    @Test func oddDottedQuadsReadAsIptablesReadsThem() throws {
        let sources = [
            "010.1.1.1", "0x10.1.1.1", "10", "10.1", "10.1.2", "10.1.1.1/010", "10.1.1.1/0x18", "+10.1.1.1", "10.1.1.1/+8",
            "10.1.1.1/0377.0.0.0", "00000000000000000010.1.1.1", "0X0a.1.1.1", "10.1.1.1/0.255.0.0", "foo/0", "010.1.1.1,1.2.3.4",
        ]
        let text = "*filter\n" + sources.map { "-A FORWARD -s \($0) -d 0\($0.hasPrefix("f") ? "" : "10.0.0.1") -j ACCEPT\n" }.joined() + "COMMIT\n"
        let expected = try SaveTextOracle.saved(text, tables: [.filter], family: .ipv4)
        #expect(try Ruleset(saveText: text, family: .ipv4).saveText() == expected)
        let v6 = "*filter\n-A FORWARD -s fd00::1/0100 -d fd00::/0x40 -j ACCEPT\n-A FORWARD -s anything/0 -j ACCEPT\nCOMMIT\n"
        #expect(try Ruleset(saveText: v6, family: .ipv6).saveText() == (try SaveTextOracle.saved(v6, tables: [.filter], family: .ipv6)))
    }
}
