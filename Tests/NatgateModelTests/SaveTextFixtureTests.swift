import Foundation
import Testing
@testable import NatgateModel

@Suite struct SaveTextFixtureTests {
    @Test func everyHostIsThere() {
        let expected = ["docker", "docker-v6", "kube-proxy", "libvirt", "libvirt-v6", "namespace-script", "ufw", "ufw-v6"]
        for name in expected { #expect(HostFixtures.names.contains(name), "missing fixture \(name)") }
        for name in HostFixtures.names {
            #expect(FileManager.default.fileExists(atPath: HostFixtures.directory.appendingPathComponent("\(name).canonical").path), "\(name).rules has no .canonical: run Fixtures/regenerate")
        }
    }

    @Test(arguments: HostFixtures.names)
    func inputFormatsToWhatIptablesSavePrints(name: String) throws {
        let input = try HostFixtures.text(name, "rules")
        let canonical = try HostFixtures.text(name, "canonical")
        let ruleset = try Ruleset(saveText: input, family: HostFixtures.family(name))
        #expect(ruleset.saveText() == canonical)
    }

    @Test(arguments: HostFixtures.names)
    func canonicalFormIsAFixedPoint(name: String) throws {
        let canonical = try HostFixtures.text(name, "canonical")
        let family = HostFixtures.family(name)
        let ruleset = try Ruleset(saveText: canonical, family: family)
        #expect(ruleset.saveText() == canonical)
        // Every rule alone also round-trips through Rule(saveArguments:).
        for table in ruleset.tables {
            for chain in table.chains {
                for rule in chain.rules {
                    let words = rule.saveArguments(family: family, table: table.name, chain: chain.name)
                    let again = try Rule(saveArguments: words, family: family, table: table.name, chain: chain.name)
                    #expect(again.withoutCounters == rule.withoutCounters, "\(words)")
                    #expect(again.saveArguments(family: family, table: table.name, chain: chain.name) == words)
                }
            }
        }
    }

    @Test(arguments: HostFixtures.names)
    func inputAndCanonicalGiveTheSameModel(name: String) throws {
        let family = HostFixtures.family(name)
        let fromInput = try Ruleset(saveText: try HostFixtures.text(name, "rules"), family: family)
        let fromCanonical = try Ruleset(saveText: try HostFixtures.text(name, "canonical"), family: family)
        #expect(fromInput.tables.map(\.canonicallyOrdered) == fromCanonical.tables.map(\.canonicallyOrdered))
    }
}
