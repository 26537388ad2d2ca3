import Foundation
import NatgateKernel
import NatgateModel
import Testing

/// `KernelBackend.entries(of:counters:)`: the entries of a lean parse, most of them copied from
/// their shape's template, are byte for byte the entries the encoder makes of the model parse.
@Suite("Lean entries")
struct LeanEntriesTests {
    /// Each chain's entries, encoded from the model parse of `text`.
    static func modelEntries(_ text: String, family: Family, counters: Bool) throws -> [TableName: [ChainName: EntryList]] {
        var result: [TableName: [ChainName: EntryList]] = [:]
        for table in try Ruleset(saveText: text, family: family).tables {
            var chains: [ChainName: EntryList] = [:]
            for chain in table.chains {
                var list = EntryList(family: family)
                for rule in chain.rules {
                    try list.append(encoding: counters ? rule : rule.withoutCounters, table: table.name, chain: chain.name, counters: counters)
                }
                chains[chain.name] = list
            }
            result[table.name] = chains
        }
        return result
    }

    /// Checks the lean entries of `text` against the model's; returns how many were copied from
    /// templates.
    @discardableResult
    static func expectSameEntries(_ text: String, family: Family, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Int {
        guard let lean = try LeanRuleset(saveText: text, family: family) else { return 0 }
        var copied = 0
        for counters in [false, true] {
            let backend = KernelBackend(family: family)
            let mine = try backend.entries(of: lean, counters: counters)
            copied = mine.copied
            let expected = try modelEntries(text, family: family, counters: counters)
            #expect(Set(mine.tables.map(\.name)) == Set(expected.keys), sourceLocation: sourceLocation)
            for table in mine.tables {
                #expect(table.chains.allSatisfy { $0.rules.isEmpty }, sourceLocation: sourceLocation)
                for (chain, list) in expected[table.name] ?? [:] {
                    let got = mine.entries[table.name]?[chain] ?? EntryList(family: family)
                    #expect(got.count == list.count, "\(table.name) \(chain)", sourceLocation: sourceLocation)
                    for index in 0..<min(got.count, list.count) where got[index] != list[index] {
                        Issue.record("\(table.name) \(chain) rule \(index + 1) differs (counters: \(counters))", sourceLocation: sourceLocation)
                        break
                    }
                }
            }
        }
        return copied
    }

    static func lines(_ family: Family, count: Int, counters: Bool) -> String {
        var nat = ["*nat", ":NG-POST - [0:0]", "-A POSTROUTING -j NG-POST"]
        var filter = ["*filter", ":NG-FWD - [0:0]", "-A FORWARD -j NG-FWD"]
        for index in 0..<count {
            let subnet = family == .ipv4 ? "10.\(index >> 8).\(index & 0xFF).\(index % 7)/\(16 + index % 17)" : "fd00:\(String(index, radix: 16))::\(index % 5)/\(48 + index % 80)"
            let comment = index % 3 == 0 ? "\"gateway \(index) 'q'\"" : "g\(index)"
            let prefix = counters ? "[\(index):\(index * 100)] " : ""
            let uplink = index % 4 == 0 ? "wan+" : "eth\(index % 10)"
            nat.append("\(prefix)-A NG-POST -s \(subnet) -o \(uplink) -m comment --comment \(comment) -j MASQUERADE")
            filter.append("\(prefix)-A NG-FWD -s \(subnet) -o \(uplink) -m comment --comment \(comment) -j ACCEPT")
            filter.append("\(prefix)-A NG-FWD ! -d \(subnet) -i \(uplink) -m comment --comment \(comment) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
            filter.append("\(prefix)-A NG-FWD -d \(subnet) -p tcp -m tcp --dport \(1 + index % 9) -m comment --comment \(comment) -j LOG --log-prefix \"x \"")
            filter.append("\(prefix)-A NG-FWD -d \(subnet) -i \(uplink) -m comment --comment \(comment) -m conntrack ! --ctstate DNAT -j DROP")
        }
        return (nat + ["COMMIT"] + filter + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    @Test(arguments: [Family.ipv4, .ipv6], [false, true])
    func generatedShapesEncodeAsTheModelDoes(family: Family, counters: Bool) throws {
        let text = Self.lines(family, count: 60, counters: counters)
        let lean = try #require(try LeanRuleset(saveText: text, family: family))
        #expect(lean.ruleCounts.lean > lean.ruleCounts.rules / 2)
        // Every shape's lines after its first two are copies of its template.
        let copied = try Self.expectSameEntries(text, family: family)
        #expect(copied >= lean.ruleCounts.rules - 2 - 2 * lean.shapes.count, "\(copied) of \(lean.ruleCounts.rules)")
    }

    @Test func hostFixturesEncodeAsTheModelDoes() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/hosts")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".rules") || $0.hasSuffix(".canonical") }
        #expect(names.count >= 10)
        for name in names.sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let family: Family = name.contains("-v6") ? .ipv6 : .ipv4
            // A fixture with `-m set` needs its sets: only the ones the encoder can write here.
            guard !text.contains("-m set") else { continue }
            try Self.expectSameEntries(text, family: family)
        }
    }
}
