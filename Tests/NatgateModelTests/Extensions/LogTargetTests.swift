import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

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
