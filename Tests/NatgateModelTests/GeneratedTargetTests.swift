import Testing
@testable import NatgateModel

/// Parse → render → parse gives the same rule, for generated rules of every typed target.
@Suite struct GeneratedTargetTests {
    @Test(arguments: Family.allCases)
    func renderedRulesParseBackEqual(family: Family) throws {
        for seed in UInt64(1)...500 {
            var values = TargetValues(random: SeededRandom(seed: seed &* 6_700_417 &+ (family == .ipv4 ? 0 : 1)))
            let (rule, table, chain) = values.rule(family)
            let text = rule.saveArguments(family: family, table: table, chain: chain)
            let parsed: Rule
            do {
                parsed = try Rule(saveArguments: text, family: family, table: table, chain: chain)
            } catch {
                Issue.record("seed \(seed): `\(text)` did not parse: \(error)")
                continue
            }
            // The tcp match is typed once parsed; compare the targets and the printed text.
            #expect(parsed.target == rule.target, "seed \(seed): `\(text)` parsed as `\(parsed.saveArguments(family: family, table: table, chain: chain))`")
            #expect(parsed.saveArguments(family: family, table: table, chain: chain) == text, "seed \(seed)")
        }
    }
}

#if canImport(Glibc)
import Glibc
import NatgateLab

/// The same generated rules, loaded by the real iptables-legacy-restore in a throwaway namespace:
/// iptables-legacy-save must print exactly natgate's rendering. Root only.
@Suite(.serialized) struct GeneratedTargetOracleTests {
    @Test(.enabled(if: GeneratedMatchOracleTests.unsupportedReason == nil), arguments: Family.allCases)
    func iptablesLegacySavePrintsWhatNatgateRenders(family: Family) throws {
        var byTable: [TableName: [String]] = [:]
        for seed in UInt64(1)...300 {
            var values = TargetValues(random: SeededRandom(seed: seed &* 15_485_863 &+ (family == .ipv4 ? 0 : 1)))
            let (rule, table, chain) = values.rule(family)
            // The kernel refuses helpers it does not have for the family; keep CT helpers to IPv4 ftp.
            if let ct = rule.target.flatMap({ if case .extension(let t) = $0 { t.as(CTTarget.self) } else { nil } }),
                !ct.helper.isEmpty, family == .ipv6 || ct.helper != "ftp" || rule.ipProtocol?.value != .tcp {
                continue
            }
            byTable[table, default: []].append(rule.saveLine(family: family, table: table, chain: chain))
        }
        let tool = family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        for (table, lines) in byTable.sorted(by: { $0.key < $1.key }) {
            let input = "*\(table)\n" + lines.joined(separator: "\n") + "\nCOMMIT\n"
            let saved = try TargetOracleTests.inThrowawayNamespace("\(tool)-restore && \(tool)-save -t \(table)", input: input)
            let iptables = saved.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") }
            #expect(iptables.count == lines.count, "\(family) \(table)")
            for (natgate, theirs) in zip(lines.sorted(), iptables.sorted()) where natgate != theirs {
                Issue.record("\(family) \(table):\n  natgate:  \(natgate)\n  iptables: \(theirs)")
            }
        }
    }
}
#endif
