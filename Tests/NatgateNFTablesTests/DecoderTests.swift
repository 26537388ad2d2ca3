import Foundation
import NatgateKernel
import NatgateModel
@testable import NatgateNFTables
import Testing

/// The decoder reads back what the encoder (and iptables-nft) writes, and refuses what it would misread.
@Suite("nftables decoder")
struct DecoderTests {
    /// Every rule of a fixture, with the family, table and chain it stands in.
    static func rules(of fixture: WriterProofTests.Fixture) throws -> [(Rule, Family, TableName, ChainName)] {
        let text = try String(contentsOfFile: fixturePath(fixture.path), encoding: .utf8)
        let model = try Ruleset(saveText: text, family: fixture.family)
        return model.tables.flatMap { table in
            table.chains.flatMap { chain in chain.rules.map { ($0, fixture.family, table.name, chain.name) } }
        }
    }

    @Test("Rule → expressions → Rule gives the rule back, for every rule of every policy and host fixture",
          arguments: WriterProofTests.policyFixtures + WriterProofTests.hostFixtures)
    func roundTrip(_ fixture: WriterProofTests.Fixture) throws {
        let encoder = NFTRuleEncoder(), decoder = NFTRuleDecoder()
        let rules = try DecoderTests.rules(of: fixture)
        #expect(!rules.isEmpty)
        for (rule, family, table, chain) in rules {
            let encoded = try encoder.encode(rule, family: family, table: table, chain: chain)
            let decoded = try decoder.decode(encoded)
            #expect(decoded.withoutCounters == rule.withoutCounters, "\(fixture) \(table) \(chain): \(rule.saveArguments(family: family)) read back as \(decoded.saveArguments(family: family))")
        }
    }

    /// `nft add rule ip filter FORWARD ct state established accept`: a native ct expression,
    /// which iptables-nft never writes.
    @Test("expressions iptables-nft does not write are refused, not misread")
    func foreignExpressionsAreRefused() throws {
        let nativeCT = NFTRule(family: .ip, table: "filter", chain: "FORWARD", handle: 7, expressions: [
            .ct(key: 0, register: 1, isLoad: true),
            .bitwise(source: 1, destination: 1, length: 4, mask: [2, 0, 0, 0], xor: [0, 0, 0, 0]),
            .cmp(register: 1, op: .neq, data: [0, 0, 0, 0]),
            .counter(packets: 0, bytes: 0),
            .immediate(register: 0, .verdict(.accept)),
        ])
        let error = try #require(throws: NFTError.self) { try NFTRuleDecoder().decode(nativeCT) }
        #expect(error.kind == .refused)
        #expect(error.message.contains("ip filter FORWARD handle 7"))

        // The expressions of `-o eth0 -j ACCEPT`, with the counter first: every expression is one
        // iptables-nft writes, but not in that order; reading it as `-o eth0 -j ACCEPT` would
        // misread it (the counter would count every packet, not the matching ones).
        let reordered = NFTRule(family: .ip, table: "filter", chain: "FORWARD", handle: 8, expressions: [
            .counter(packets: 0, bytes: 0),
            .meta(key: .oifname, register: 1, isLoad: true),
            .cmp(register: 1, op: .eq, data: Array("eth0".utf8) + [0]),
            .immediate(register: 0, .verdict(.accept)),
        ])
        let misread = try #require(throws: NFTError.self) { try NFTRuleDecoder().decode(reordered) }
        #expect(misread.kind == .refused)
        #expect(misread.message.contains("would write differently"))
    }

    @Test("an xt match natgate has no codec for is kept verbatim and written back byte for byte")
    func unknownMatchIsKeptVerbatim() throws {
        let info: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let rule = NFTRule(family: .ip6, table: "filter", chain: "INPUT", handle: 3, expressions: [
            .match(name: "frobnicate", revision: 2, info: info),
            .counter(packets: 5, bytes: 600),
            .immediate(register: 0, .verdict(.drop)),
        ])
        let decoded = try NFTRuleDecoder().decode(rule)
        let unknown = try #require(decoded.matches.first?.as(UnknownMatch.self))
        #expect(unknown.extensionName == "frobnicate" && unknown.kernelBlob == KernelBlob(revision: 2, payload: info))
        #expect(decoded.counters == Counters(packets: 5, bytes: 600))
        #expect(try NFTRuleEncoder().encode(decoded, family: .ipv6, table: .filter, chain: .input).expressions == rule.expressions)
    }
}
