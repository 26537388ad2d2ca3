import Testing
@testable import NatgateModel

/// Whole rules with typed targets, through the rule parser: each input prints as
/// iptables-legacy-save printed it after `iptables-legacy -t TABLE -A CHAIN <input>` in a
/// throwaway namespace (ip6tables-legacy for the IPv6 cases), and the printed form parses back to
/// the same rule.
@Suite struct TargetRoundTripTests {
    struct Case: Sendable, CustomStringConvertible {
        var family: Family
        var table: TableName
        var chain: ChainName
        var input: String
        var expected: String
        var description: String { "\(family) \(table) \(chain): \(input)" }
    }

    static func v4(_ table: TableName, _ chain: ChainName, _ input: String, _ expected: String? = nil) -> Case {
        Case(family: .ipv4, table: table, chain: chain, input: input, expected: expected ?? input)
    }

    static func v6(_ table: TableName, _ chain: ChainName, _ input: String, _ expected: String? = nil) -> Case {
        Case(family: .ipv6, table: table, chain: chain, input: input, expected: expected ?? input)
    }

    static let cases: [Case] = [
        v4(.nat, .postrouting, "-s 10.200.1.0/24 -o eth0 -j MASQUERADE"),
        v4(.nat, .postrouting, "-s 10.200.1.0/24 -o eth0 -p tcp -j MASQUERADE --random-fully --to-ports 1024-65535",
           "-s 10.200.1.0/24 -o eth0 -p tcp -j MASQUERADE --to-ports 1024-65535 --random-fully"),
        v4(.nat, .postrouting, "-s 10.200.1.0/24 -o eth0 -j SNAT --to-source 192.0.2.1"),
        v4(.nat, .postrouting, "-p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --persistent --random-fully --random",
           "-p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent"),
        v4(.nat, .input, "-p udp -j SNAT --to-source :1000"),
        v4(.nat, .prerouting, "-i eth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.200.1.2:80"),
        v4(.nat, .output, "-p tcp -j DNAT --to-destination 192.0.2.1:80-90/85"),
        v4(.nat, .output, "-p tcp -j REDIRECT --to-ports 8080 --random"),
        v4(.filter, .forward, "-p tcp -j REJECT --reject-with tcp-rst", "-p tcp -j REJECT --reject-with tcp-reset"),
        v4(.filter, .input, "-j REJECT", "-j REJECT --reject-with icmp-port-unreachable"),
        v4(.filter, .input, "-j LOG --log-level debug --log-prefix \"dropped: \"", "-j LOG --log-prefix \"dropped: \" --log-level 7"),
        v4(.mangle, .prerouting, "-j MARK --set-mark 0x10/0xf0", "-j MARK --set-xmark 0x10/0xf0"),
        v4(.mangle, .prerouting, "-j CONNMARK --restore-mark", "-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff"),
        v4(.mangle, .postrouting, "-p udp -m udp --dport 68 -j CHECKSUM --checksum-fill"),
        v4(.mangle, .forward, "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"),
        v4(.raw, .prerouting, "-j NOTRACK"),
        v4(.raw, .output, "-p tcp -j CT --helper ftp --zone 5"),
        v6(.nat, .postrouting, "-s fd00:200:1::/64 -o eth0 -j MASQUERADE"),
        v6(.nat, .postrouting, "-p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully"),
        v6(.nat, .prerouting, "-p tcp -j DNAT --to-destination [2001:db8::1]:80"),
        v6(.filter, .input, "-p tcp -j REJECT --reject-with tcp-reset"),
        v6(.filter, .input, "-j REJECT --reject-with adm", "-j REJECT --reject-with icmp6-adm-prohibited"),
        v6(.raw, .output, "-j CT --notrack"),
    ]

    @Test(arguments: TargetRoundTripTests.cases)
    func rulesPrintAsIptablesLegacySaveAndParseBack(_ c: Case) throws {
        let rule = try Rule(saveArguments: c.input, family: c.family, table: c.table, chain: c.chain)
        #expect(rule.saveArguments(family: c.family, table: c.table, chain: c.chain) == c.expected)
        let reparsed = try Rule(saveArguments: c.expected, family: c.family, table: c.table, chain: c.chain)
        #expect(reparsed == rule)
        #expect(rule.target.flatMap { if case .extension(let target) = $0 { target.isTyped } else { nil } } == true)
    }

    // Each is refused by iptables-legacy or by the kernel (EINVAL): see TargetOracleTests.
    static let refused: [Case] = [
        v4(.filter, .forward, "-j MASQUERADE"),
        v4(.nat, .prerouting, "-j MASQUERADE"),
        v4(.nat, .prerouting, "-j SNAT --to-source 192.0.2.1"),
        v4(.nat, .postrouting, "-j DNAT --to-destination 192.0.2.1"),
        v4(.nat, .input, "-p tcp -j REDIRECT"),
        v4(.mangle, .input, "-j REJECT"),
        v4(.nat, .postrouting, "-j SNAT --to-source 192.0.2.1:80"),
        v4(.nat, .postrouting, "-j SNAT --to-source 2001:db8::1"),
        v4(.filter, .input, "-j REJECT --reject-with tcp-reset"),
        v4(.filter, .input, "-j CHECKSUM --checksum-fill"),
        v4(.mangle, .prerouting, "-p tcp -j TCPMSS --clamp-mss-to-pmtu"),
        v4(.filter, .input, "-j CT --notrack"),
        v4(.mangle, .output, "-j NOTRACK"),
        v4(.mangle, .output, "-j MARK"),
        v6(.nat, .postrouting, "-j SNAT --to-source 192.0.2.1"),
        v6(.filter, .input, "-j REJECT --reject-with icmp-host-unreachable"),
    ]

    @Test(arguments: TargetRoundTripTests.refused)
    func refusedRules(_ c: Case) {
        #expect(throws: ModelError.self) { try Rule(saveArguments: c.input, family: c.family, table: c.table, chain: c.chain) }
    }
}

#if canImport(Glibc)
import Foundation
import Glibc

/// The round-trip cases against the real tools: each table's rules are loaded with
/// `iptables-legacy-restore` in a throwaway network namespace (`unshare --net`), and
/// `iptables-legacy-save` must print exactly natgate's rendering; each refused case must be refused
/// by `iptables-legacy-restore` (or the kernel) too. Root only; nothing touches the test's own namespace.
@Suite(.serialized) struct TargetOracleTests {
    /// Runs `script` with `sh -c` under `unshare --net`; see `OracleProcess`.
    static func inThrowawayNamespace(_ script: String, input: String) throws -> String {
        try OracleProcess.inThrowawayNamespace(script, input: input)
    }

    @Test(.enabled(if: GeneratedMatchOracleTests.unsupportedReason == nil), arguments: Family.allCases)
    func iptablesLegacySavePrintsWhatNatgateRenders(family: Family) throws {
        let cases = TargetRoundTripTests.cases.filter { $0.family == family }
        let tool = family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        for table in Set(cases.map(\.table)).sorted() {
            let tableCases = cases.filter { $0.table == table }
            let input = "*\(table)\n" + tableCases.map { "-A \($0.chain) \($0.input)" }.joined(separator: "\n") + "\nCOMMIT\n"
            let saved = try TargetOracleTests.inThrowawayNamespace("\(tool)-restore && \(tool)-save -t \(table)", input: input)
            let iptables = saved.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") }.sorted()
            let natgate = try tableCases.map { c in
                try Rule(saveArguments: c.input, family: family, table: table, chain: c.chain).saveLine(family: family, table: table, chain: c.chain)
            }.sorted()
            #expect(natgate == iptables, "\(family) \(table)")
        }
    }

    @Test(.enabled(if: GeneratedMatchOracleTests.unsupportedReason == nil), arguments: TargetRoundTripTests.refused)
    func iptablesLegacyRefusesWhatNatgateRefuses(_ c: TargetRoundTripTests.Case) {
        let tool = c.family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        let input = "*\(c.table)\n-A \(c.chain) \(c.input)\nCOMMIT\n"
        #expect(throws: (any Error).self) { try TargetOracleTests.inThrowawayNamespace("\(tool)-restore", input: input) }
    }
}
#endif
