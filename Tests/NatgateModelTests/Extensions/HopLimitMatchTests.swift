import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'ip6tables-legacy -A INPUT -m hl ARGS;
/// ip6tables-legacy-save'` and the same with iptables-legacy and `-m ttl`, iptables 1.8.9.
@Suite struct HopLimitMatchTests {
    @Test(arguments: [
        ("--hl-eq 5", "--hl-eq 5"),
        ("! --hl 5", "! --hl-eq 5"),
        ("--hl 7", "--hl-eq 7"),
        ("--hl-lt 0", "--hl-lt 0"),
        ("--hl-gt 255", "--hl-gt 255"),
        ("! --hl-eq 64", "! --hl-eq 64"),
    ])
    func hopLimitSavesAsIp6tablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(HopLimitMatch.self, input, family: .ipv6), family: .ipv6) == expected)
    }

    @Test(arguments: [
        ("--ttl-eq 5", "--ttl-eq 5"),
        ("! --ttl-eq 5", "! --ttl-eq 5"),
        ("--ttl-lt 0", "--ttl-lt 0"),
        ("--ttl-gt 255", "--ttl-gt 255"),
        ("--ttl 7", "--ttl-eq 7"),
        ("! --ttl 7", "! --ttl-eq 7"),
        ("--ttl-eq 0x10", "--ttl-eq 16"),
        ("--ttl-eq 010", "--ttl-eq 8"),
    ])
    func ttlSavesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(TTLMatch.self, input)) == expected)
    }

    @Test func familiesAreSeparate() {
        #expect(HopLimitMatch.families == [.ipv6])
        #expect(TTLMatch.families == [.ipv4])
    }

    @Test func outOfRangeValueNamesTheOptionAndValue() {
        let error = modelError { _ = try loadMatch(TTLMatch.self, "--ttl-eq 256") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains("--ttl-eq 256") == true)
        #expect(modelError { _ = try loadMatch(HopLimitMatch.self, "--hl-gt -1", family: .ipv6) }?.message.contains("--hl-gt -1") == true)
    }

    /// iptables: "option "--ttl-lt" cannot be used together with "--ttl-eq"" and "cannot be inverted".
    @Test func refusesWhatIptablesRefuses() {
        #expect(modelError { _ = try loadMatch(TTLMatch.self, "--ttl-eq 5 --ttl-lt 3") }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(TTLMatch.self, "! --ttl-lt 3") }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(HopLimitMatch.self, "! --hl-gt 3", family: .ipv6) }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(HopLimitMatch.self, "", family: .ipv6) }?.kind == .missingArgument)
    }
}
