import Testing
@testable import NatgateModel

/// Parse → render → parse gives the same rule, for generated rules of every match in this suite
/// (in a user chain, where addrtype's interface limits are allowed).
@Suite struct GeneratedMatchTests {
    @Test(arguments: [Family.ipv4, .ipv6])
    func renderedRulesParseBackEqual(family: Family) throws {
        try GeneratedRuleChecks.renderedRulesParseBackEqual(family: family, stride: 7919) { $0.rule(family) }
    }
}

#if canImport(Glibc)
import Foundation
import Glibc
import NatgateLab

/// The same generated rules, loaded by the real `iptables-legacy-restore` in a throwaway network
/// namespace (`unshare --net`): `iptables-legacy-save` must print exactly natgate's rendering.
/// Root only; skipped elsewhere. Nothing touches the namespace the tests run in.
@Suite struct GeneratedMatchOracleTests {
    static let unsupportedReason: String? = {
        guard geteuid() == 0 else { return "needs root to create a network namespace" }
        for tool in ["/usr/bin/unshare", "/usr/sbin/iptables-legacy-restore", "/usr/sbin/ip6tables-legacy-restore"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "needs \(tool)"
        }
        return nil
    }()

    @Test(.enabled(if: GeneratedMatchOracleTests.unsupportedReason == nil), arguments: [Family.ipv4, .ipv6])
    func iptablesLegacySavePrintsWhatNatgateRenders(family: Family) throws {
        try GeneratedRuleChecks.iptablesLegacySavePrintsWhatNatgateRenders(family: family, stride: 104_729) { $0.rule(family) }
    }
}
#endif

/// Arbitrary option arguments never crash a typed match: they parse or throw `ModelError`.
@Suite struct MatchArgumentFuzzTests {
    static let types: [any MatchExtension.Type] = [
        ConntrackMatch.self, StateMatch.self, CommentMatch.self, TCPMatch.self, UDPMatch.self, ICMPMatch.self,
        ICMPv6Match.self, MultiportMatch.self, AddrtypeMatch.self, MarkMatch.self, ConnmarkMatch.self,
    ]

    @Test func arbitraryArgumentsThrowModelErrorsOnly() {
        var random = SeededRandom(seed: 42)
        let pieces = ["0", "1", "9", "65535", "65536", "4294967296", "0x", "0xff", "ff", ":", "/", ",", "-", "!", "", " ",
                      "::", "10.0.0.1", "fd00::", "NEW", "LOCAL", "ALL", "any", "echo", "255", "256", "é", "\u{0}", "+", "08"]
        for type in Self.types {
            for option in type.options {
                for _ in 0..<300 {
                    let arguments = (0..<option.argumentCount).map { _ in
                        (0..<Int.random(in: 0...5, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
                    }
                    for family in type.families {
                        let context = ExtensionContext(family: family, ipProtocol: [.tcp, .udp, .icmp, .icmpv6].randomElement(using: &random))
                        do {
                            var match = type.init()
                            try match.parse(ParsedOption(name: option.names.randomElement(using: &random)!, negated: Bool.random(using: &random), arguments: arguments), context: context)
                            try match.validate(context: context)
                            var writer = SaveWriter()
                            match.save(to: &writer, context: context)
                        } catch is ModelError {
                        } catch {
                            Issue.record("\(type.name) \(option.names[0]) \(arguments): \(error)")
                        }
                    }
                }
            }
        }
    }
}
