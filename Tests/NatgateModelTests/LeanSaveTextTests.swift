import Foundation
import Testing
@testable import NatgateModel

/// The lean parse (`LeanRuleset`) must print exactly what the model parse prints for the same
/// text, and fail with exactly the model's error: these tests compare the two on fixtures,
/// generated files whose lines share shapes, and mutated lines.
@Suite struct LeanSaveTextTests {
    /// What a parse gives: the canonical text, or the error's message and place.
    enum Outcome: Equatable, CustomStringConvertible {
        case text(String)
        case error(String)
        case fallback

        var description: String {
            switch self {
            case .text(let text): "text:\n\(text)"
            case .error(let error): "error: \(error)"
            case .fallback: "fallback to the model"
            }
        }
    }

    static func model(_ text: String, _ family: Family) -> Outcome {
        do { return .text(try Ruleset(saveText: text, family: family).saveText()) } catch let error as ModelError {
            return .error("\(error.location.map { "\($0.line):\($0.column)" } ?? "-"): \(error.message)")
        } catch { return .error("\(error)") }
    }

    static func lean(_ text: String, _ family: Family) -> Outcome {
        do {
            guard let lean = try LeanRuleset(saveText: text, family: family) else { return .fallback }
            return .text(String(decoding: lean.saveText(), as: UTF8.self))
        } catch let error as ModelError {
            return .error("\(error.location.map { "\($0.line):\($0.column)" } ?? "-"): \(error.message)")
        } catch { return .error("\(error)") }
    }

    /// The lean parse agrees with the model (or leaves the text to it).
    static func expectAgreement(_ text: String, _ family: Family, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let lean = lean(text, family)
        if lean == .fallback { return }
        let model = model(text, family)
        #expect(lean == model, "lean and model parse differ for:\n\(text)", sourceLocation: sourceLocation)
    }

    /// `count` gateways as Benchmarks/compare writes them: four rules each in two tables.
    static func gatewayText(_ count: Int) -> String {
        var nat = ["*nat", ":NATGATE-POSTROUTING - [0:0]", "-A POSTROUTING -j NATGATE-POSTROUTING"]
        var filter = ["*filter", ":NATGATE-FORWARD - [0:0]", "-A FORWARD -j NATGATE-FORWARD"]
        for index in 0..<count {
            let subnet = "10.\(index >> 8).\(index & 0xFF).0/24"
            let comment = "\"natgate enable \(subnet) eth0\""
            nat.append("-A NATGATE-POSTROUTING -s \(subnet) -o eth0 -m comment --comment \(comment) -j MASQUERADE")
            filter.append("-A NATGATE-FORWARD -s \(subnet) -o eth0 -m comment --comment \(comment) -j ACCEPT")
            filter.append("-A NATGATE-FORWARD -d \(subnet) -i eth0 -m comment --comment \(comment) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
            filter.append("-A NATGATE-FORWARD -d \(subnet) -i eth0 -m comment --comment \(comment) -m conntrack ! --ctstate DNAT -j DROP")
        }
        return (nat + ["COMMIT"] + filter + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    @Test func gatewayTextPrintsAsTheModelDoesWithNearlyEveryRuleLean() throws {
        let text = Self.gatewayText(300)
        let lean = try #require(try LeanRuleset(saveText: text, family: .ipv4))
        #expect(String(decoding: lean.saveText(), as: UTF8.self) == (try Ruleset(saveText: text, family: .ipv4)).saveText())
        let counts = lean.ruleCounts
        #expect(counts.rules == 1_202)
        // Per shape, the first two lines go through the model (4 shapes), and so do the jumps.
        #expect(counts.lean >= counts.rules - 10, "\(counts)")
        #expect(lean.shapes.count <= 6)
    }

    @Test(arguments: HostFixtures.names)
    func hostFixturesPrintAsTheModelPrintsThem(name: String) throws {
        for suffix in ["rules", "canonical"] {
            let text = try HostFixtures.text(name, suffix)
            let lean = Self.lean(text, HostFixtures.family(name))
            #expect(lean != .fallback || text.contains("\n-I ") || text.contains("\n-D ") || text.contains("\n-F") || text.contains("\n-X") || text.contains("\n-R "))
            Self.expectAgreement(text, HostFixtures.family(name))
        }
    }

    @Test func textThatEditsEarlierRulesIsLeftToTheModel() throws {
        for command in ["-I INPUT 1 -j ACCEPT", "-D INPUT 1", "-R INPUT 1 -j DROP", "-F INPUT", "-X X", "--insert INPUT -j ACCEPT"] {
            let text = "*filter\n:X - [0:0]\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\n\(command)\nCOMMIT\n"
            let parsed = try LeanRuleset(saveText: text, family: .ipv4)
            #expect(parsed == nil, "\(command)")
        }
        // -N and -P do not touch rules: the lean parse reads them.
        let text = "*filter\n-N X\n-P INPUT DROP\n-A X -s 10.0.0.0/8 -j ACCEPT\n-A INPUT -j X\nCOMMIT\n"
        let parsed = try LeanRuleset(saveText: text, family: .ipv4)
        #expect(parsed != nil)
        Self.expectAgreement(text, .ipv4)
    }

    /// Lines the lean scanner reads in a corner of its grammar, or must leave to the model; each
    /// repeated with other values so that shapes are made, checked and used.
    @Test(arguments: [
        "-s 10.0.0.1", "-s 10.0.0.1/32", "-s 10.0.0.7/24", "-s 0.0.0.0/0", "! -s 0.0.0.0/0", "-s 10.0.0.0/255.255.0.0",
        "-s 10.0.0.0/255.0.255.0", "-s 010.0.0.1", "-s 0x0a.0.0.1", "-s 10.1", "-s 10.0.0.1,10.0.0.2", "-s host.example",
        "-s 10.0.0.0/33", "-s 256.0.0.1", "! -d 192.168.0.0/16", "-d 10.0.0.0/8 -s 10.1.0.0/16", "-i eth0 -o eth1",
        "! -i veth+", "-i +", "-i ..", "-i abcdefghijklmnop", "-o eth0", "-s 1.2.3.4 -s 5.6.7.8", "-p tcp --dport 22",
        "-p tcp -s 10.0.0.1 --dport 22", "-m tcp -p tcp --dport 22", "-p 6 -m tcp --dport 22", "-m comment --comment x -s 10.0.0.1",
        "-m comment --comment \"it's\"", "-m comment --comment \"a \\\" b\"", "-m comment --comment \"\"", "-m comment --comment -x",
        "-m comment --comment a -m comment --comment b", "-m comment --comment \"two  spaces\"", "-c 1 2", "-4", "-6",
        "-m conntrack --ctstate NEW", "-m conntrack ! --ctstate NEW,INVALID", "-j LOG --log-prefix \"x: \"", "-j NOSUCHCHAIN", "-j LATER",
        "-g LATER", "-j MASQUERADE", "-m foo --bar", "!", "-s", "-m comment --comment \"unclosed", "-m comment --comment a\"b",
    ])
    func cornersPrintAsTheModelPrintsThem(words: String) {
        for family in [Family.ipv4, .ipv6] {
            var lines = ["*filter", ":X - [0:0]"]
            for index in 0..<5 {
                // Other values in each line, where the words have them.
                let varied = words
                    .replacingOccurrences(of: "10.0.0.1", with: "10.0.\(index).1")
                    .replacingOccurrences(of: "eth0", with: "eth\(index)")
                    .replacingOccurrences(of: "--comment x", with: "--comment x\(index)")
                lines.append("-A X \(varied) -j ACCEPT")
                lines.append("[\(index):\(index * 60)] -A FORWARD \(varied)")
            }
            lines += [":LATER - [0:0]", "COMMIT"]
            Self.expectAgreement(lines.joined(separator: "\n") + "\n", family)
        }
    }

    /// Random rules from RuleGenerator, each repeated with other addresses, interfaces and
    /// comments in front: the lean parse makes shapes of them and must print every line as the
    /// model does (or fail as it does).
    @Test func generatedRulesWithSharedShapesPrintAsTheModelPrintsThem() {
        var generator = RuleGenerator(seed: 0x1EA7)
        for family in [Family.ipv4, .ipv6] {
            for _ in 0..<60 {
                let tail = generator.rule(family: family, chains: ["X"], chain: "X").words
                var lines = ["*filter", ":X - [0:0]"]
                for _ in 0..<4 {
                    var header: [String] = []
                    if generator.random.chance(70) { header.append("\(generator.random.chance(20) ? "! " : "")-s \(generator.network(family))") }
                    if generator.random.chance(50) { header.append("-d \(generator.network(family))") }
                    if generator.random.chance(50) { header.append("-i \(generator.interface())") }
                    if generator.random.chance(30) { header.append("\(generator.random.chance(20) ? "! " : "")-o \(generator.interface())") }
                    if generator.random.chance(70) {
                        let comment = generator.comment()
                        header.append("-m comment --comment \(generator.quote(comment))")
                    }
                    lines.append("-A X \(header.joined(separator: " ")) \(tail)")
                }
                lines.append("COMMIT")
                Self.expectAgreement(lines.joined(separator: "\n") + "\n", family)
            }
        }
    }

    /// Mutated lines of a gateway file: whatever the model makes of them, so does the lean parse,
    /// errors included.
    @Test func mutatedGatewayLinesFailOrPrintAsTheModelDoes() {
        let lines = Self.gatewayText(6).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var random = SaveTextRandom(seed: 0x1EA8)
        for _ in 0..<1_500 {
            var mutated = lines
            let index = Int.random(in: 0..<mutated.count, using: &random)
            mutated[index] = SaveTextFuzzTests.mutate(mutated[index], using: &random)
            Self.expectAgreement(mutated.joined(separator: "\n"), .ipv4)
        }
    }

    @Test func newlinesAreFoundEightBytesAtATimeAsOneByOne() {
        var random = SaveTextRandom(seed: 0x0A0A)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...40, using: &random)
            // Bytes near the newline's value (borrows), 0x80s and newlines.
            let text = (0..<count).map { _ in random.pick([UInt8(0x0A), 0x0B, 0x09, 0x00, 0x80, 0x8A, 0xFF, 0x41]) }
            for start in 0...count {
                #expect(LeanScanner.newline(in: text, from: start) == (text[start...].firstIndex(of: 0x0A) ?? count), "\(text) from \(start)")
            }
        }
    }

    @Test func aModelRuleCanBeHadForEveryLeanRule() throws {
        let text = Self.gatewayText(20)
        let lean = try #require(try LeanRuleset(saveText: text, family: .ipv4))
        let model = try Ruleset(saveText: text, family: .ipv4)
        for table in lean.tables {
            for (index, chain) in table.table.chains.enumerated() where index < table.rules.count {
                let expected = try #require(model.tables.first { $0.name == table.table.name }?.chain(named: chain.name)).rules
                let rules = try table.rules[index].map { rule -> Rule in
                    switch rule {
                    case .model(let rule): rule
                    case .fast(let fast): try lean.modelRule(fast, table: table)
                    }
                }
                #expect(rules == expected, "\(chain.name)")
            }
        }
    }
}
