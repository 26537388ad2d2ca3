import Testing
@testable import NatgateModel


/// The name the save-text property and fuzz tests know the seeded generator by.
typealias SaveTextRandom = SeededRandom

/// Checks shared by the generated-match suites; `stride` spreads the seeds so that each suite and
/// each family sees different rules.
enum GeneratedRuleChecks {
    /// Parse → render → parse gives the same rule and the same text, for 400 generated rules in a
    /// user chain.
    static func renderedRulesParseBackEqual(family: Family, stride: UInt64, _ make: (inout MatchValues) -> Rule) throws {
        let chain = try ChainName("GENERATED")
        for seed in UInt64(1)...400 {
            var values = MatchValues(random: SeededRandom(seed: seed &* stride &+ (family == .ipv4 ? 0 : 1)))
            let rule = make(&values)
            let text = rule.saveArguments(family: family, table: .filter, chain: chain)
            let parsed: Rule
            do {
                parsed = try Rule(saveArguments: text, family: family, table: .filter, chain: chain)
            } catch {
                Issue.record("seed \(seed): `\(text)` did not parse: \(error)")
                continue
            }
            #expect(parsed == rule, "seed \(seed): `\(text)` parsed as `\(parsed.saveArguments(family: family, table: .filter, chain: chain))`")
            #expect(parsed.saveArguments(family: family, table: .filter, chain: chain) == text, "seed \(seed)")
        }
    }
}

#if canImport(Glibc)
import Foundation
import Glibc
import NatgateLab

extension GeneratedRuleChecks {
    /// Loads 300 generated rules with the real `iptables-legacy-restore` in a throwaway network
    /// namespace (`unshare --net`): `iptables-legacy-save` must print exactly natgate's rendering.
    /// Root only. Nothing touches the namespace the tests run in.
    static func iptablesLegacySavePrintsWhatNatgateRenders(family: Family, stride: UInt64, _ make: (inout MatchValues) -> Rule) throws {
        let chain = try ChainName("GENERATED")
        var rendered: [String] = []
        for seed in UInt64(1)...300 {
            var values = MatchValues(random: SeededRandom(seed: seed &* stride &+ (family == .ipv4 ? 0 : 1)))
            rendered.append(make(&values).saveLine(family: family, table: .filter, chain: chain))
        }
        let input = "*filter\n:GENERATED - [0:0]\n" + rendered.joined(separator: "\n") + "\nCOMMIT\n"
        let tool = family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        let saved = try OracleProcess.inThrowawayNamespace("\(tool)-restore && \(tool)-save -t filter", input: input)
        let lines = saved.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A GENERATED ") }
        #expect(lines.count == rendered.count)
        for (index, (natgate, iptables)) in zip(rendered, lines).enumerated() where natgate != iptables {
            Issue.record("rule \(index + 1):\n  natgate:  \(natgate)\n  iptables: \(iptables)")
        }
    }
}

/// Runs the oracle script in a network namespace of its own, with the lab's ``ChildProcess``
/// (not Foundation's `Process`, which can miss a child's exit when other tests start processes at
/// the same time).
enum OracleProcess {
    /// Runs `script` with `sh -c` under `unshare --net`, `input` on its standard input; returns its
    /// standard output, or throws with its standard error when it exits non-zero.
    static func inThrowawayNamespace(_ script: String, input: String) throws -> String {
        // A lock file of its own: /run is not per namespace, so iptables-legacy would otherwise
        // create /run/xtables.lock on the machine when the suite runs outside Scripts/test.
        let lock = FileManager.default.temporaryDirectory.appendingPathComponent("natgate-oracle-\(UUID().uuidString).lock").path
        defer { try? FileManager.default.removeItem(atPath: lock) }
        var environment = ProcessInfo.processInfo.environment
        environment["XTABLES_LOCKFILE"] = lock
        let result = try ChildProcess.run(["/usr/bin/unshare", "--net", "/bin/sh", "-c", script], input: input, environment: environment)
        guard result.status == 0 else {
            throw ModelError(.syntax, input: script, "`unshare --net sh -c '\(script)'` failed (status \(result.status)): \(result.standardError)")
        }
        return result.standardOutput
    }
}
#endif
