import Testing
@testable import NatgateModel

/// Parse → render → parse gives the same rule, for generated rules of these matches (in a user
/// chain, where owner, mac and physdev have no hook restrictions).
@Suite struct GeneratedHostMatchTests {
    @Test(arguments: [Family.ipv4, .ipv6])
    func renderedRulesParseBackEqual(family: Family) throws {
        try GeneratedRuleChecks.renderedRulesParseBackEqual(family: family, stride: 6151) { $0.hostRule(family) }
    }
}

#if canImport(Glibc)
import Foundation
import Glibc

/// The generated rules against the real tools; root only, skipped elsewhere.
@Suite struct GeneratedHostMatchOracleTests {
    /// The same generated rules, loaded by `iptables-legacy-restore` in a throwaway namespace
    /// (`unshare --net`): `iptables-legacy-save` must print exactly natgate's rendering. Root only.
    @Test(.enabled(if: GeneratedMatchOracleTests.unsupportedReason == nil), arguments: [Family.ipv4, .ipv6])
    func iptablesLegacySavePrintsWhatNatgateRenders(family: Family) throws {
        try GeneratedRuleChecks.iptablesLegacySavePrintsWhatNatgateRenders(family: family, stride: 15_485_863) { $0.hostRule(family) }
    }
}

#endif
