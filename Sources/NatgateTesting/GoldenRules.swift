import NatgateModel
import NatgatePolicy

/// Golden-rule testing for projects that use natgate: render a policy to the ip sets and the
/// iptables-save text natgate commits, and compare them the way a reviewer would.
///
/// A text is the sets as `ipset save` prints them without the kernel's random parts (`create NAME
/// hash:net,iface family inet`, then `add NAME MEMBER` lines), then the tables as iptables-save
/// prints them; a text without sets is the tables alone.
///
/// ```swift
/// import Foundation
/// import NatgateTesting
/// import Testing
///
/// /// The policy in this test's folder compiles to the rules a reviewer approved.
/// @Test func ourGatewaysCompileToTheReviewedRules() throws {
///     let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
///     let policy = try PolicyFile.decode(Data(contentsOf: folder.appendingPathComponent("gateways.json")))
///     let rendered = try GoldenRules.render(policy.gateways, family: .ipv4)
///     let expected = try String(contentsOf: folder.appendingPathComponent("gateways.rules"), encoding: .utf8)
///     let comparison = try GoldenRules.compare(expected: expected, actual: rendered, family: .ipv4)
///     #expect(comparison.isMatch, "\(comparison)")   // prints a -/+ diff when not
/// }
/// ```
public enum GoldenRules {
    /// The canonical text of `gateways` of `family` (their ip sets, then the tables), as natgate
    /// commits them to a host with no other rules and sets; see `GatewayCompiler.render(_:family:)`.
    ///
    /// - Throws: `PolicyError` when the gateways conflict, or (`.noGateways`) when none is of
    ///   `family`: there is nothing to compare then, and "" would match an empty golden file.
    public static func render(_ gateways: [Gateway], family: Family) throws -> String {
        try GatewayCompiler(datapath: .ipSets).render(GatewaySet(gateways), family: family)
    }

    /// A text split into its ip set lines (`create …`, `add …`) and its iptables-save part.
    static func split(_ text: String) -> (sets: [String], tables: String) {
        var sets: [String] = []
        var tables = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("create ") || line.hasPrefix("add ") {
                sets.append(String(line))
            } else {
                tables += line + "\n"
            }
        }
        return (sets, String(tables.dropLast()))
    }

    /// Compares two texts of one family, ignoring counters, the order in which user chains are
    /// declared and the order of set lines, and checks the actual text for jumps to chains that
    /// do not exist, for sets its rules use that it does not create, and for user chains nothing
    /// jumps to.
    ///
    /// - Throws: `ModelError` naming the line and column when either text does not parse.
    public static func compare(expected: String, actual: String, family: Family) throws -> RuleComparison {
        let wantText = split(expected)
        let haveText = split(actual)
        let want = try Ruleset(saveText: wantText.tables, family: family)
        let have = try Ruleset(saveText: haveText.tables, family: family)
        var differences: [String] = []
        let wantSets = Set(wantText.sets)
        let haveSets = Set(haveText.sets)
        if wantSets != haveSets {
            differences.append("ipset")
            differences += wantSets.subtracting(haveSets).sorted().map { "-" + $0 }
            differences += haveSets.subtracting(wantSets).sorted().map { "+" + $0 }
        }
        var names = want.tables.map(\.name)
        for table in have.tables where !names.contains(table.name) { names.append(table.name) }
        for name in names.sorted() {
            let before = want[table: name]
            let after = have[table: name]
            switch (before, after) {
            case (let before?, let after?):
                let lines = TableDiff.lines(from: before, to: after)
                if !lines.isEmpty { differences += ["*\(name)"] + lines }
            case (_?, nil):
                differences.append("-*\(name) (the whole table is missing)")
            case (nil, _?):
                differences.append("+*\(name) (a table that was not expected)")
            case (nil, nil):
                break
            }
        }
        let checks = RuleChecks(have, sets: haveText.sets)
        return RuleComparison(differences: differences, danglingJumps: checks.danglingJumps, unreachableChains: checks.unreachableChains)
    }

    /// Checks one text on its own: jumps to chains that do not exist, sets used and not created,
    /// and user chains nothing jumps to.
    public static func check(_ text: String, family: Family) throws -> RuleComparison {
        let parts = split(text)
        let checks = RuleChecks(try Ruleset(saveText: parts.tables, family: family), sets: parts.sets)
        return RuleComparison(differences: [], danglingJumps: checks.danglingJumps, unreachableChains: checks.unreachableChains)
    }
}

/// The result of comparing rule texts: what differs, and what is wrong in the actual text.
public struct RuleComparison: Hashable, Sendable, CustomStringConvertible {
    /// `-`/`+` lines from the expected text to the actual one, under a `*table` line per table.
    public var differences: [String]
    /// Rules that jump or go to a chain that does not exist (`*nat -A POSTROUTING -j NATGATE-X`),
    /// or match a natgate set the text does not create (`… (no set natgate-n0123456789ab-v4)`).
    public var danglingJumps: [String]
    /// User chains no rule jumps or goes to, as `*table CHAIN`; natgate's own are marked `(natgate)`.
    public var unreachableChains: [String]

    /// Whether the texts hold the same rules and the actual one has no dangling jump and no
    /// unreachable natgate chain (other tools' unreferenced chains, such as Docker's, are normal).
    public var isMatch: Bool {
        differences.isEmpty && danglingJumps.isEmpty && !unreachableChains.contains { $0.hasSuffix("(natgate)") }
    }

    public var description: String {
        if differences.isEmpty && danglingJumps.isEmpty && unreachableChains.isEmpty { return "The rules match." }
        var text = ""
        if !differences.isEmpty {
            text += "The rules differ (- expected, + actual):\n"
            for line in differences { text += "  \(line)\n" }
        }
        if !danglingJumps.isEmpty {
            text += "Jumps to chains that do not exist:\n"
            for line in danglingJumps { text += "  \(line)\n" }
        }
        if !unreachableChains.isEmpty {
            text += "Chains nothing jumps to:\n"
            for line in unreachableChains { text += "  \(line)\n" }
        }
        return text
    }
}

/// Reference checks over a parsed ruleset.
struct RuleChecks {
    var danglingJumps: [String] = []
    var unreachableChains: [String] = []

    init(_ ruleset: Ruleset, sets: [String] = []) {
        let created = Set(sets.compactMap { line -> Substring? in
            let words = line.split(separator: " ")
            return words.count > 1 && words[0] == "create" ? words[1] : nil
        })
        let owned = Set(OwnedChains.tables.compactMap(OwnedChains.owned(in:)))
        for table in ruleset.tables.sorted(by: { $0.name < $1.name }) {
            let chains = Set(table.chains.map(\.name.rawValue))
            var referenced: Set<String> = []
            for chain in table.chains {
                for rule in chain.rules {
                    let line = rule.withoutCounters.saveLine(family: ruleset.family, table: table.name, chain: chain.name)
                    for match in rule.matches {
                        guard let set = match.as(SetMatch.self), set.setName.hasPrefix(GatewayShape.setPrefix), !created.contains(Substring(set.setName)) else { continue }
                        danglingJumps.append("*\(table.name) \(line) (no set \(set.setName))")
                    }
                    switch rule.target {
                    case .jump(let target), .goto(let target):
                        referenced.insert(target.rawValue)
                        if !chains.contains(target.rawValue) { danglingJumps.append("*\(table.name) \(line)") }
                    case .extension(let target) where !target.isTyped:
                        // The parser reads `-j NAME` with no options and no chain NAME as an unknown
                        // target; an upper-case name without options is almost always a missing chain.
                        if let unknown = target.as(UnknownTarget.self), unknown.words.isEmpty, !chains.contains(target.name) {
                            danglingJumps.append("*\(table.name) \(line)")
                        }
                    default:
                        break
                    }
                }
            }
            for chain in table.chains where !table.name.isBuiltin(chain.name) && !referenced.contains(chain.name.rawValue) {
                unreachableChains.append("*\(table.name) \(chain.name)" + (owned.contains(chain.name) ? " (natgate)" : ""))
            }
        }
    }
}
