import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A INPUT -m limit ARGS;
/// iptables-legacy-save'` with iptables 1.8.9.
@Suite struct LimitMatchTests {
    @Test(arguments: [
        ("--limit 5/min", "--limit 5/min"),
        ("--limit 5/m", "--limit 5/min"),
        ("--limit 5/MIN", "--limit 5/min"),
        ("--limit 1/s", "--limit 1/sec"),
        ("--limit 3", "--limit 3/sec"),
        ("--limit 10000/sec", "--limit 10000/sec"),
        ("--limit 3/hour", "--limit 3/hour"),
        ("--limit 2/d", "--limit 2/day"),
        ("--limit 60/minute", "--limit 1/sec"),
        ("--limit 120/hour", "--limit 2/min"),
        ("--limit 7/h", "--limit 7/hour"),
        ("--limit 5x/s", "--limit 5/sec"),
        ("--limit 86401/day", "--limit 1/sec"),
        ("--limit 9999/s", "--limit 10000/sec"),
        ("--limit 4000/s", "--limit 5000/sec"),
        ("--limit 6000/s", "--limit 10000/sec"),
        ("--limit 1000/min", "--limit 1000/min"),
        ("--limit 17/hour", "--limit 17/hour"),
        ("--limit 333/sec", "--limit 333/sec"),
        ("--limit 5/se", "--limit 5/sec"),
        ("--limit 5/mi", "--limit 5/min"),
        ("--limit 5/min --limit-burst 10", "--limit 5/min --limit-burst 10"),
        ("--limit-burst 0x10", "--limit 3/hour --limit-burst 16"),
        ("--limit-burst 5", "--limit 3/hour"),
        ("", "--limit 3/hour"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(LimitMatch.self, input)) == expected)
    }

    @Test func equalRatesAreEqualRules() throws {
        #expect(try loadMatch(LimitMatch.self, "--limit 60/minute") == loadMatch(LimitMatch.self, "--limit 1/second"))
        #expect(try LimitMatch(rate: .init(5, per: .minute)) == loadMatch(LimitMatch.self, "--limit 5/min"))
        #expect(try LimitMatch.Rate(5, per: .minute).period == 120_000)
    }

    @Test(arguments: ["10001/s", "0x10/s", "5/", "0/s", "5/s/s", "-5/s", "5/seconds", "5/fortnight", "abc"])
    func badRatesNameTheOptionAndValue(rate: String) {
        let error = modelError { _ = try loadMatch(LimitMatch.self, "--limit \(rate)") }
        #expect(error?.message.contains("--limit \(rate)") == true)
        #expect(error?.input == rate)
    }

    @Test func burstIsBounded() {
        let error = modelError { _ = try loadMatch(LimitMatch.self, "--limit-burst 10001") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains("--limit-burst 10001") == true)
        #expect(modelError { _ = try loadMatch(LimitMatch.self, "--limit-burst -1") } != nil)
    }

    /// `iptables-legacy -A INPUT -m limit --limit 3/min --limit-burst 0` and `--limit 1/day`
    /// (burst 5) both fail in the kernel with ERANGE ("Numerical result out of range").
    @Test func refusesWhatTheKernelRefuses() {
        #expect(modelError { _ = try loadMatch(LimitMatch.self, "--limit 3/min --limit-burst 0") }?.message.contains("--limit-burst 0") == true)
        #expect(modelError { _ = try loadMatch(LimitMatch.self, "--limit 1/day") }?.message.contains("overflows") == true)
        #expect((try? loadMatch(LimitMatch.self, "--limit 2/day")) != nil)
        #expect((try? loadMatch(LimitMatch.self, "--limit 1/day --limit-burst 4")) != nil)
    }

    @Test func cannotBeNegated() {
        let error = modelError { _ = try loadMatch(LimitMatch.self, "! --limit 1/s") }
        #expect(error?.kind == .notAllowed)
        #expect(error?.message.contains("--limit") == true)
    }

    @Test func printsInfinityForAZeroPeriod() {
        #expect(LimitMatch.Rate(period: 0).description == "inf")
    }
}
