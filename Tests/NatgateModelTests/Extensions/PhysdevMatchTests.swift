import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A FORWARD -m physdev ARGS;
/// iptables-legacy-save'` with iptables 1.8.9.
@Suite struct PhysdevMatchTests {
    @Test(arguments: [
        ("--physdev-in eth0", "--physdev-in eth0"),
        ("! --physdev-out veth+ --physdev-is-bridged", "! --physdev-out veth+ --physdev-is-bridged"),
        ("--physdev-is-out --physdev-is-in --physdev-out br0 --physdev-in eth1 ! --physdev-is-bridged",
         "--physdev-is-in --physdev-in eth1 --physdev-is-out --physdev-out br0 ! --physdev-is-bridged"),
        ("! --physdev-is-in ! --physdev-in eth0 --physdev-out veth+ --physdev-is-out",
         "! --physdev-is-in ! --physdev-in eth0 --physdev-is-out --physdev-out veth+"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(PhysdevMatch.self, input, chain: .forward)) == expected)
    }

    /// iptables: "interface name `abcdefghijklmnop' must be shorter than IFNAMSIZ (15)".
    @Test func longNamesNameTheOptionAndValue() {
        let error = modelError { _ = try loadMatch(PhysdevMatch.self, "--physdev-in abcdefghijklmnop") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains("--physdev-in abcdefghijklmnop") == true)
    }

    /// `iptables-legacy -A OUTPUT -m physdev --physdev-out eth0` and `--physdev-is-out` fail with
    /// EINVAL; INPUT accepts them.
    @Test func outputRefusesOutgoingPortsUnlessBridged() throws {
        #expect(modelError { _ = try loadMatch(PhysdevMatch.self, "--physdev-out eth0", chain: .output) }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(PhysdevMatch.self, "--physdev-is-out", chain: .output) }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(PhysdevMatch.self, "--physdev-is-out ! --physdev-is-bridged", chain: .output) }?.kind == .notAllowed)
        _ = try loadMatch(PhysdevMatch.self, "--physdev-out eth0 --physdev-is-bridged", chain: .output)
        _ = try loadMatch(PhysdevMatch.self, "--physdev-out eth0", chain: .input)
    }

    @Test func needsAnOptionAndEachOnce() {
        #expect(modelError { _ = try loadMatch(PhysdevMatch.self, "") }?.kind == .missingArgument)
        #expect(modelError { _ = try loadMatch(PhysdevMatch.self, "--physdev-is-in ! --physdev-is-in") } != nil)
    }
}
