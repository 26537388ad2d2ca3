import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

@Suite struct RejectTargetTests {
    // iptables-legacy -A INPUT -j REJECT                → --reject-with icmp-port-unreachable
    // ip6tables-legacy -A INPUT -j REJECT               → --reject-with icmp6-port-unreachable
    @Test func defaultIsPrinted() throws {
        #expect(saved(try target(RejectTarget.self, "")) == "--reject-with icmp-port-unreachable")
        #expect(saved(try target(RejectTarget.self, "", family: .ipv6), family: .ipv6) == "--reject-with icmp6-port-unreachable")
    }

    // iptables-legacy -A INPUT -p tcp -j REJECT --reject-with tcp-rst     → tcp-reset
    // iptables-legacy -A INPUT -j REJECT --reject-with icmp-h             → icmp-host-unreachable
    // iptables-legacy -A INPUT -j REJECT --reject-with ADMIN-prohib       → icmp-admin-prohibited
    // iptables-legacy -A INPUT -j REJECT --reject-with ""                 → icmp-net-unreachable
    @Test(arguments: [
        ("tcp-rst", "tcp-reset"), ("icmp-h", "icmp-host-unreachable"), ("ADMIN-prohib", "icmp-admin-prohibited"),
        ("", "icmp-net-unreachable"), ("net-prohib", "icmp-net-prohibited"), ("proto-unreach", "icmp-proto-unreachable"),
    ])
    func ipv4NamesPrefixesAndAliases(_ input: String, _ expected: String) throws {
        #expect(saved(try target(RejectTarget.self, ["--reject-with", input], protocol: .tcp)) == "--reject-with \(expected)")
    }

    // ip6tables-legacy -A INPUT -j REJECT --reject-with adm               → icmp6-adm-prohibited
    // ip6tables-legacy -A INPUT -p tcp -j REJECT --reject-with tcp-reset  → tcp-reset
    @Test(arguments: [
        ("adm", "icmp6-adm-prohibited"), ("tcp-reset", "tcp-reset"), ("no-route", "icmp6-no-route"),
        ("addr-unreach", "icmp6-addr-unreachable"), ("policy-fail", "icmp6-policy-fail"), ("icmp6-reject-route", "icmp6-reject-route"),
    ])
    func ipv6Names(_ input: String, _ expected: String) throws {
        #expect(saved(try target(RejectTarget.self, ["--reject-with", input], family: .ipv6, protocol: .tcp), family: .ipv6) == "--reject-with \(expected)")
    }

    // ip6tables-legacy -A INPUT -j REJECT --reject-with icmp6-not-neighbor → unknown reject type
    @Test func unknownTypesNameTheValueAndListTheValidOnes() {
        let error = modelError { _ = try target(RejectTarget.self, "--reject-with icmp6-not-neighbor", family: .ipv6) }
        #expect(error?.message.hasPrefix("--reject-with icmp6-not-neighbor:") == true)
        #expect(error?.message.contains("icmp6-adm-prohibited") == true)
        #expect(modelError { _ = try target(RejectTarget.self, "--reject-with icmp6-no-route") }?.kind == .invalidValue)
    }

    // iptables-legacy -A INPUT -j REJECT --reject-with tcp-reset → the kernel refuses it (EINVAL)
    @Test func tcpResetNeedsTCP() {
        #expect(modelError { _ = try target(RejectTarget.self, "--reject-with tcp-reset") }?.kind == .notAllowed)
        #expect(modelError { _ = try target(RejectTarget.self, "--reject-with tcp-reset", family: .ipv6, protocol: .udp) }?.kind == .notAllowed)
    }

    @Test func explicitDefaultEqualsDefault() throws {
        #expect(try target(RejectTarget.self, "--reject-with icmp-port-unreachable") == RejectTarget())
    }

    // Kernel: mangle, raw, security and nat refuse REJECT in every chain; filter takes it in all three.
    @Test func kernelPlacement() {
        #expect(RejectTarget.allowedTables == [.filter])
        #expect(RejectTarget.allowedChains == [.input, .forward, .output])
    }
}
