import Foundation
import NatgateModel
import NatgatePolicy
import NatgateTesting
import Testing

@Suite struct GoldenPolicyTests {
    @Test func everyOptionHasAFixture() {
        let names = PolicyFixtures.names
        for wanted in ["default", "via", "inbound-all", "exclude", "snat", "ports", "random-fully", "ipv6", "several"] {
            #expect(names.contains(wanted), "Fixtures/policies/\(wanted).json is missing")
        }
    }

    @Test(arguments: PolicyFixtures.names)
    func policyCompilesToItsGoldenRules(_ name: String) throws {
        let policy = try PolicyFixtures.policy(name)
        let family = PolicyFixtures.family(policy)
        let rendered = try GoldenRules.render(policy.gateways, family: family)
        let url = PolicyFixtures.directory.appendingPathComponent("\(name).rules")
        if ProcessInfo.processInfo.environment["NATGATE_REGENERATE"] == "1" {
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try PolicyFixtures.expectedRules(name)
        let comparison = try GoldenRules.compare(expected: expected, actual: rendered, family: family)
        #expect(rendered == expected, "\(comparison)")
        // The golden text is canonical and clean: it parses, renders back to itself, and every
        // jump has its chain.
        let setLines = expected.split(separator: "\n").filter { $0.hasPrefix("create ") || $0.hasPrefix("add ") }
        let tables = expected.split(separator: "\n", omittingEmptySubsequences: false).filter { !($0.hasPrefix("create ") || $0.hasPrefix("add ")) }
            .joined(separator: "\n")
        #expect(try Ruleset(saveText: tables, family: family).saveText() == tables)
        #expect(!setLines.isEmpty, "the gateways are set members")
        let check = try GoldenRules.check(expected, family: family)
        #expect(check.danglingJumps.isEmpty && check.unreachableChains.isEmpty)
    }

    /// `Fixtures/policies/per-rule/NAME.rules`: the same policies with a rule set per gateway, what
    /// natgate writes for a store without ip sets (`GatewayCompiler.Datapath.rules`); the nf_tables
    /// writer's proofs load these.
    @Test(arguments: PolicyFixtures.names)
    func policyCompilesToItsPerRuleGoldenRules(_ name: String) throws {
        let policy = try PolicyFixtures.policy(name)
        let family = PolicyFixtures.family(policy)
        let rendered = try GatewayCompiler(datapath: .rules).render(GatewaySet(policy.gateways), family: family)
        let url = PolicyFixtures.directory.appendingPathComponent("per-rule/\(name).rules")
        if ProcessInfo.processInfo.environment["NATGATE_REGENERATE"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        let comparison = try GoldenRules.compare(expected: expected, actual: rendered, family: family)
        #expect(rendered == expected, "\(comparison)")
        #expect(!expected.contains("-m set"))
    }

    @Test func renderingIgnoresTheOrderGatewaysAreGivenIn() throws {
        let policy = try PolicyFixtures.policy("several")
        let forward = try GoldenRules.render(policy.gateways, family: .ipv4)
        #expect(try GoldenRules.render(policy.gateways.reversed(), family: .ipv4) == forward)
    }

    /// Rendering a family the policy has no gateway of returned "", which compared equal to an
    /// empty golden file: a golden test passed without checking anything.
    @Test func renderingAFamilyWithNoGatewaysIsAnError() throws {
        let policy = try PolicyFixtures.policy("several")
        let error = try #require(throws: PolicyError.self) { try GoldenRules.render(policy.gateways, family: .ipv6) }
        #expect(error.kind == .noGateways)
        #expect(error.message.contains("no IPv6 gateway"), "\(error.message)")
        #expect(throws: PolicyError.self) { try GoldenRules.render([], family: .ipv4) }
    }
}

@Suite struct RuleComparisonTests {
    static let base = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :NATGATE-POSTROUTING - [0:0]
        -A POSTROUTING -j NATGATE-POSTROUTING
        -A NATGATE-POSTROUTING -s 10.200.1.0/24 -o eth0 -m comment --comment "natgate 10.200.1.0/24 eth0" -j MASQUERADE
        COMMIT

        """

    @Test func countersAndChainDeclarationOrderDoNotMatter() throws {
        let withCounters = """
            *nat
            :PREROUTING ACCEPT [12:3400]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [5:300]
            :POSTROUTING ACCEPT [0:0]
            :NATGATE-POSTROUTING - [0:0]
            [7:420] -A POSTROUTING -j NATGATE-POSTROUTING
            [3:180] -A NATGATE-POSTROUTING -s 10.200.1.0/24 -o eth0 -m comment --comment "natgate 10.200.1.0/24 eth0" -j MASQUERADE
            COMMIT

            """
        let comparison = try GoldenRules.compare(expected: Self.base, actual: withCounters, family: .ipv4)
        #expect(comparison.isMatch)
        #expect(comparison.description == "The rules match.")

        let a = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A FORWARD -j A\n-A FORWARD -j B\nCOMMIT\n"
        let b = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:B - [0:0]\n:A - [0:0]\n-A FORWARD -j A\n-A FORWARD -j B\nCOMMIT\n"
        #expect(try GoldenRules.compare(expected: a, actual: b, family: .ipv4).isMatch)
    }

    @Test func ruleOrderAndContentDoMatterAndTheDiffSaysWhich() throws {
        let changed = Self.base.replacingOccurrences(of: "-o eth0 -m", with: "-o eth1 -m")
        let comparison = try GoldenRules.compare(expected: Self.base, actual: changed, family: .ipv4)
        #expect(!comparison.isMatch)
        #expect(comparison.differences.contains { $0.hasPrefix("--A NATGATE-POSTROUTING") && $0.contains("-o eth0") })
        #expect(comparison.differences.contains { $0.hasPrefix("+-A NATGATE-POSTROUTING") && $0.contains("-o eth1") })
        #expect(comparison.description.contains("The rules differ"))
    }

    @Test func danglingJumpsAndUnreachableOwnedChainsAreReported() throws {
        let dangling = Self.base.replacingOccurrences(of: "-A POSTROUTING -j NATGATE-POSTROUTING", with: "-A POSTROUTING -j NATGATE-MISSING")
        let comparison = try GoldenRules.check(dangling, family: .ipv4)
        #expect(comparison.danglingJumps == ["*nat -A POSTROUTING -j NATGATE-MISSING"])
        #expect(comparison.unreachableChains == ["*nat NATGATE-POSTROUTING (natgate)"])
        #expect(!(try GoldenRules.compare(expected: dangling, actual: dangling, family: .ipv4)).isMatch)
    }
}
