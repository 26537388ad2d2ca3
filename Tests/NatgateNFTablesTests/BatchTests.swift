import Foundation
import Glibc
import NatgateKernel
import NatgateModel
@testable import NatgateNFTables
import Testing
import NatgateLab

/// NFTBatch against the kernel, in throwaway namespaces: one transaction, all or nothing, rules
/// placed and removed by handle, foreign rules untouched, stale generations refused.
@Suite("nftables batch writer")
struct BatchTests {
    /// natgate's default gateway, the rules of Fixtures/policies/per-rule/default.rules (a gateway with rules of its own), as model values.
    static func gatewayTables() throws -> Ruleset {
        let text = try String(contentsOfFile: fixturePath("policies/per-rule/default.rules"), encoding: .utf8)
        return try Ruleset(saveText: text, family: .ipv4)
    }

    /// Adds natgate's owned chains and their rules to a host whose tables exist: each owned chain
    /// created, its rules appended, and the jump to it inserted at the top of the built-in chain.
    static func addGateway(to batch: inout NFTBatch) throws {
        let encoder = NFTRuleEncoder()
        for table in try gatewayTables().tables {
            for chain in table.chains where !table.name.isBuiltin(chain.name) {
                batch.addChain(NFTChain(family: .ip, table: table.name.rawValue, name: chain.name.rawValue))
                for rule in chain.rules {
                    batch.addRule(try encoder.encode(rule, family: .ipv4, table: table.name, chain: chain.name))
                }
            }
            for chain in table.chains where table.name.isBuiltin(chain.name) {
                for rule in chain.rules {
                    batch.addRule(try encoder.encode(rule, family: .ipv4, table: table.name, chain: chain.name), at: .top)
                }
            }
        }
    }

    /// The whole ruleset as text that compares handles and counters too.
    static func snapshot(_ ruleset: NFTRuleset) -> [String] {
        ruleset.tables.map(\.description) + ruleset.chains.map(\.description) + ruleset.rules.map(\.description)
    }

    @Test("a batch whose last message fails writes nothing of the batch and names that message", nftablesTests)
    func failedBatchChangesNothing() throws {
        try withLoadedNamespace([.iptablesNFT("docker")]) { scratch, before in
            var batch = NFTBatch()
            try BatchTests.addGateway(to: &batch)
            batch.deleteRule(.ip, table: "filter", chain: "FORWARD", handle: 999_999)
            let error = try #require(throws: NFTError.self) { try scratch.namespace.run { try batch.commit() } }
            #expect(error.kind == .batchFailed)
            #expect(error.errno == ENOENT)
            #expect(error.message.contains("delete rule ip filter FORWARD handle 999999"))
            let after = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(BatchTests.snapshot(after) == BatchTests.snapshot(before))
            #expect(after.generation == before.generation)
        }
    }

    @Test("the jump goes to the top of FORWARD and POSTROUTING; removing the gateway by handle restores the host, foreign counters and handles untouched",
          nftablesTests)
    func insertAtTopAndRemoveByHandle() throws {
        try ThrowawayNamespace.with(prefix: "natgate-nftb") { scratch in
            try scratch.shell("iptables-nft-restore --counters < '\(fixturePath("hosts/namespace-script-counters.rules"))'")
            let before = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(before.rules.contains { $0.expressions.contains(.counter(packets: 8811, bytes: 11_873_311)) })

            var add = NFTBatch(expectedGeneration: before.generation)
            try BatchTests.addGateway(to: &add)
            try scratch.namespace.run { try add.commit() }
            let added = try scratch.namespace.run { try NFTRuleset.read() }
            for (table, chain, owned) in [("filter", "FORWARD", "NATGATE-FORWARD"), ("nat", "POSTROUTING", "NATGATE-POSTROUTING")] {
                let rules = added.rules.filter { $0.family == .ip && $0.table == table && $0.chain == chain }
                #expect(rules.first?.verdict == .jump(owned), "\(table) \(chain) starts with the jump")
                // Every foreign rule still there, same handle, same counters.
                let foreign = before.rules.filter { $0.table == table && $0.chain == chain }
                #expect(Array(rules.dropFirst()) == foreign)
            }
            #expect(try scratch.shell("iptables-nft-save -t filter").contains("-A FORWARD -j NATGATE-FORWARD\n-A FORWARD -i eth0 -o v-eth1 -j ACCEPT"))

            var remove = NFTBatch(expectedGeneration: added.generation)
            for rule in added.rules where rule.verdict == .jump("NATGATE-FORWARD") || rule.verdict == .jump("NATGATE-POSTROUTING") {
                remove.deleteRule(rule.family, table: rule.table, chain: rule.chain, handle: rule.handle)
            }
            for (table, chain) in [("filter", "NATGATE-FORWARD"), ("nat", "NATGATE-POSTROUTING")] {
                remove.flushChain(.ip, table: table, chain: chain)
                remove.deleteChain(.ip, table: table, chain: chain)
            }
            try scratch.namespace.run { try remove.commit() }
            let removed = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(BatchTests.snapshot(removed) == BatchTests.snapshot(before))
        }
    }

    @Test("a batch derived from a generation another writer has since moved is refused as a generation mismatch and writes nothing",
          nftablesTests)
    func staleGenerationIsDetected() throws {
        try withLoadedNamespace([.iptablesNFT("docker")]) { scratch, read in
            // Another writer commits between natgate's read and its batch.
            try scratch.shell("iptables-nft -N SOMEONE-ELSE")
            let between = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(between.generation != read.generation)

            var batch = NFTBatch(expectedGeneration: read.generation)
            try BatchTests.addGateway(to: &batch)
            let error = try #require(throws: NFTError.self) { try scratch.namespace.run { try batch.commit() } }
            #expect(error.kind == .generationMismatch)
            let after = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(BatchTests.snapshot(after) == BatchTests.snapshot(between))

            // Re-derived from a fresh read, the same change goes through.
            batch.expectedGeneration = after.generation
            try scratch.namespace.run { try batch.commit() }
            let done = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(done.chain(.ip, "filter", "NATGATE-FORWARD") != nil)
        }
    }

    @Test("creating a chain that exists fails the batch instead of overwriting its policy", nftablesTests)
    func existingBaseChainKeepsItsPolicy() throws {
        try withLoadedNamespace([.iptablesNFT("docker")]) { scratch, before in
            #expect(before.chain(.ip, "filter", "FORWARD")?.base?.policy == .drop)
            var batch = NFTBatch()
            try batch.addBuiltinChain(.ip, table: .filter, chain: .forward)
            let error = try #require(throws: NFTError.self) { try scratch.namespace.run { try batch.commit() } }
            #expect(error.errno == EEXIST)
            let after = try scratch.namespace.run { try NFTRuleset.read() }
            #expect(after.chain(.ip, "filter", "FORWARD")?.base?.policy == .drop)
        }
    }
}
