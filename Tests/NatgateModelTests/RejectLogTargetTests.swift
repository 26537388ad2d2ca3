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

@Suite struct LogTargetTests {
    // iptables-legacy -A INPUT -j LOG → (no options)
    @Test func defaultsPrintNothing() throws {
        #expect(saved(try target(LogTarget.self, "")) == "")
        #expect(saved(try target(LogTarget.self, "--log-level warning")) == "")
        #expect(saved(try target(LogTarget.self, "--log-level 4")) == "")
    }

    // iptables-legacy -A INPUT -j LOG --log-prefix "hello world: " --log-level debug --log-tcp-sequence
    //   --log-tcp-options --log-ip-options --log-uid --log-macdecode
    @Test func everyOptionInCanonicalOrder() throws {
        let log = try target(
            LogTarget.self,
            ["--log-macdecode", "--log-uid", "--log-ip-options", "--log-tcp-options", "--log-tcp-sequence", "--log-level", "debug", "--log-prefix", "hello world: "])
        #expect(saved(log) == #"--log-prefix "hello world: " --log-level 7 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode"#)
    }

    // iptables-legacy -A INPUT -j LOG --log-prefix 'a"b\c'"'" → --log-prefix "a\"b\\c\'"
    @Test func prefixIsQuotedAsIptablesQuotesIt() throws {
        #expect(saved(try target(LogTarget.self, ["--log-prefix", #"a"b\c'"#])) == #"--log-prefix "a\"b\\c\'""#)
        #expect(saved(try target(LogTarget.self, ["--log-prefix", "plain-_1"])) == "--log-prefix plain-_1")
    }

    // iptables-legacy -A INPUT -j LOG --log-level 0x3 → --log-level 3; ip6tables-legacy … --log-level panic → 0
    @Test(arguments: [("emerg", 0), ("panic", 0), ("alert", 1), ("crit", 2), ("error", 3), ("notice", 5), ("info", 6), ("debug", 7), ("0", 0), ("7", 7)])
    func levels(_ input: String, _ level: Int) throws {
        #expect(try target(LogTarget.self, ["--log-level", input]).level == UInt8(level))
    }

    // iptables-legacy … --log-level err → log level "err" unknown
    @Test(arguments: ["err", "warn", "8", "WARNING", ""])
    func badLevelsNameTheValue(_ input: String) {
        let error = modelError { _ = try target(LogTarget.self, ["--log-level", input]) }
        #expect(error?.message.hasPrefix("--log-level \(input):") == true)
    }

    // iptables-legacy … --log-prefix abcdefghijklmnopqrstuvwxyz0123456789 → silently cut to 29 bytes;
    // natgate refuses instead. --log-prefix "" → minimum length of 1.
    @Test func prefixLimits() throws {
        #expect(try target(LogTarget.self, ["--log-prefix", String(repeating: "x", count: 29)]).prefix.count == 29)
        let long = modelError { _ = try target(LogTarget.self, ["--log-prefix", String(repeating: "x", count: 30)]) }
        #expect(long?.message.contains("at most 29") == true)
        #expect(modelError { _ = try target(LogTarget.self, ["--log-prefix", ""]) } != nil)
        #expect(modelError { _ = try target(LogTarget.self, ["--log-prefix", "a\nb"]) }?.message.contains("newline") == true)
    }
}
