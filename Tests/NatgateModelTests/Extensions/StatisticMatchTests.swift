import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A INPUT -m statistic ARGS;
/// iptables-legacy-save'` with iptables 1.8.9.
@Suite struct StatisticMatchTests {
    @Test(arguments: [
        ("--mode random --probability 0.5", "--mode random --probability 0.50000000000"),
        ("--mode random ! --probability 0.25", "--mode random ! --probability 0.25000000000"),
        ("--mode random --probability 1", "--mode random --probability 1.00000000000"),
        ("--mode random --probability 0", "--mode random --probability 0.00000000000"),
        ("--mode random --probability 0.1", "--mode random --probability 0.10000000009"),
        ("--mode random --probability 0.333333333333", "--mode random --probability 0.33333333349"),
        ("--mode random --probability 1e-3", "--mode random --probability 0.00100000016"),
        ("--mode random --probability .5", "--mode random --probability 0.50000000000"),
        ("--mode random --probability 0.9999999999", "--mode random --probability 1.00000000000"),
        ("--mode random --probability 0.00000000001", "--mode random --probability 0.00000000000"),
        ("--probability 0.5 --mode random", "--mode random --probability 0.50000000000"),
        ("--mode nth --every 3 --packet 0", "--mode nth --every 3 --packet 0"),
        ("--mode nth ! --every 3 --packet 2", "--mode nth ! --every 3 --packet 2"),
        ("--mode nth --packet 1 --every 2", "--mode nth --every 2 --packet 1"),
        ("--mode nth --every 1 --packet 0", "--mode nth --every 1 --packet 0"),
        ("--mode nth --every 4294967295 --packet 0", "--mode nth --every 4294967295 --packet 0"),
        // iptables 1.8.9 refuses --every without --packet; natgate reads it as --packet 0.
        ("--mode nth --every 3", "--mode nth --every 3 --packet 0"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(StatisticMatch.self, input)) == expected)
    }

    @Test func keepsTheKernelsFraction() throws {
        #expect(try loadMatch(StatisticMatch.self, "--mode random --probability 0.1").mode == .random(probability: 0x0CCC_CCCD))
        #expect(try StatisticMatch.random(0.25) == loadMatch(StatisticMatch.self, "--mode random --probability 0.25"))
        #expect(try loadMatch(StatisticMatch.self, "--mode random ! --probability 0.25").inverted)
    }

    @Test(arguments: [
        ("--mode random --probability 1.5", "--probability 1.5"),
        ("--mode random --probability nan", "--probability nan"),
        ("--mode random --probability x", "--probability x"),
        ("--mode Random --probability 0.5", "--mode Random"),
        ("--mode nth --every 0 --packet 0", "--every 0"),
        ("--mode nth --every 3 --packet 3", "--packet 3"),
        ("--mode nth --every 3 --packet -1", "--packet -1"),
    ])
    func badValuesNameTheOptionAndValue(input: String, named: String) {
        let error = modelError { _ = try loadMatch(StatisticMatch.self, input) }
        #expect(error?.message.contains(named) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        "--mode random", "--mode nth --probability 0.5", "--mode random --every 2 --packet 1", "--probability 0.5",
        "--mode random --probability 0.5 --mode random", "! --mode random --probability 0.25", "--mode nth --every 2 ! --packet 1",
    ])
    func refusesWhatIptablesRefuses(input: String) {
        #expect(modelError { _ = try loadMatch(StatisticMatch.self, input) } != nil)
    }
}
