import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A INPUT -m mac ARGS;
/// iptables-legacy-save'` with iptables 1.8.9.
@Suite struct MacMatchTests {
    @Test(arguments: [
        ("--mac-source 0:1:2:a:B:c", "--mac-source 00:01:02:0a:0b:0c"),
        ("! --mac-source 00:11:22:33:44:55", "! --mac-source 00:11:22:33:44:55"),
        ("--mac-source 1:2:3:4:5:", "--mac-source 01:02:03:04:05:00"),
        ("--mac-source FF:ff:Ff:00:00:01", "--mac-source ff:ff:ff:00:00:01"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(MacMatch.self, input)) == expected)
    }

    /// Each is refused by iptables 1.8.9 with "Invalid MAC address specified."
    @Test(arguments: ["000:1:2:3:4:5", "1:2:3:4:5", "1:2:3:4:5:6:7", "1:2:3:4:5:x", "01-02-03-04-05-06"])
    func badAddressesNameTheOptionAndValue(address: String) {
        let error = modelError { _ = try loadMatch(MacMatch.self, "--mac-source \(address)") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains("--mac-source \(address)") == true)
    }

    /// `iptables-legacy -A OUTPUT -m mac --mac-source …` fails with EINVAL, as in POSTROUTING.
    @Test func refusedWhereTheKernelRefusesIt() throws {
        #expect(modelError { _ = try loadMatch(MacMatch.self, "--mac-source 00:11:22:33:44:55", chain: .output) }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(MacMatch.self, "--mac-source 00:11:22:33:44:55", chain: .postrouting) }?.kind == .notAllowed)
        _ = try loadMatch(MacMatch.self, "--mac-source 00:11:22:33:44:55", chain: .forward)
        #expect(modelError { _ = try loadMatch(MacMatch.self, "") }?.kind == .missingArgument)
    }
}
