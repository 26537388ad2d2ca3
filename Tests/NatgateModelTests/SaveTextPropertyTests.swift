import Testing
@testable import NatgateModel

@Suite struct SaveTextPropertyTests {
    static let seeds: [UInt64] = Array(1...12)

    @Test(arguments: seeds)
    func renderThenParseGivesTheSameRule(seed: UInt64) throws {
        var generator = RuleGenerator(seed: seed)
        for _ in 0..<250 {
            let family: Family = generator.random.chance(50) ? .ipv4 : .ipv6
            let (words, comments) = generator.rule(family: family)
            let rule: Rule
            do {
                rule = try Rule(saveArguments: words, family: family)
            } catch {
                Issue.record("seed \(seed): \(family) rule did not parse: \(words)\n  \(error)")
                continue
            }
            let saved = rule.saveArguments(family: family)
            let again = try Rule(saveArguments: saved, family: family)
            #expect(again == rule, "seed \(seed): \(words)\n  rendered: \(saved)")
            #expect(again.saveArguments(family: family) == saved, "seed \(seed): \(words)")
            let parsedComments = rule.matches.compactMap { $0.as(CommentMatch.self)?.comment }
            #expect(parsedComments == comments, "seed \(seed): \(words)")
        }
    }

    @Test(arguments: seeds)
    func rulesetsRoundTripThroughSaveText(seed: UInt64) throws {
        var generator = RuleGenerator(seed: seed &* 7919)
        let family: Family = seed % 2 == 0 ? .ipv4 : .ipv6
        let tableNames: [TableName] = [.filter, .mangle, .raw, .security].shuffled(using: &generator.random)
        var text = ""
        var expectedRules = 0
        for table in tableNames.prefix(Int.random(in: 1...3, using: &generator.random)) {
            let user = (0..<Int.random(in: 0...4, using: &generator.random)).map { "chain-\(seed)-\($0)" }
            text += "*\(table)\n"
            for chain in table.builtinChains.shuffled(using: &generator.random) where generator.random.chance(70) {
                text += ":\(chain) \(generator.random.chance(30) ? "DROP" : "ACCEPT") [\(UInt64.random(in: 0...1_000_000, using: &generator.random)):\(UInt64.random(in: 0...UInt64.max, using: &generator.random))]\n"
            }
            for chain in user.shuffled(using: &generator.random) { text += ":\(chain) - [0:0]\n" }
            let chains = table.builtinChains.map(\.rawValue) + user
            for _ in 0..<Int.random(in: 0...25, using: &generator.random) {
                let chain = generator.random.pick(chains)
                let allowed: [TableName: Set<String>] = [
                    .filter: ["REJECT", "LOG"], .mangle: ["MARK", "CONNMARK", "TCPMSS", "CHECKSUM", "LOG"],
                    .raw: ["CT", "NOTRACK", "LOG"], .security: ["LOG"],
                ]
                let words = generator.rule(family: family, chains: user, chain: chain, targets: allowed[table] ?? []).words
                let counters = generator.random.chance(20) ? "[\(UInt8.random(in: 0...255, using: &generator.random)):\(UInt16.random(in: 0...9999, using: &generator.random))] " : ""
                text += "\(counters)-A \(chain) \(words)\n"
                expectedRules += 1
            }
            text += "COMMIT\n"
        }
        let ruleset: Ruleset
        do {
            ruleset = try Ruleset(saveText: text, family: family)
        } catch {
            Issue.record("seed \(seed): generated text did not parse: \(error)\n\(text)")
            return
        }
        let saved = ruleset.saveText()
        let again = try Ruleset(saveText: saved, family: family)
        #expect(again.tables == ruleset.tables.map(\.canonicallyOrdered), "seed \(seed)\n\(text)")
        #expect(again.saveText() == saved)
        #expect(again.tables.flatMap(\.chains).map(\.rules.count).reduce(0, +) >= expectedRules)
    }
}

