import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A OUTPUT -m owner ARGS;
/// iptables-legacy-save'` with iptables 1.8.9.
@Suite struct OwnerMatchTests {
    @Test(arguments: [
        ("--uid-owner root", "--uid-owner 0"),
        ("--uid-owner 1000-2000", "--uid-owner 1000-2000"),
        ("--uid-owner 1000:2000", "--uid-owner 1000-2000"),
        ("! --uid-owner 5", "! --uid-owner 5"),
        ("--gid-owner 5 --suppl-groups", "--gid-owner 5 --suppl-groups"),
        ("! --socket-exists", "! --socket-exists"),
        ("--socket-exists --uid-owner 3 --gid-owner 4", "--socket-exists --uid-owner 3 --gid-owner 4"),
        ("--gid-owner 4 --uid-owner 3 ! --socket-exists", "! --socket-exists --uid-owner 3 --gid-owner 4"),
        ("--uid-owner 4294967294", "--uid-owner 4294967294"),
        ("--uid-owner 0x10", "--uid-owner 16"),
        ("! --uid-owner 1000-2000 --gid-owner 5 --suppl-groups ! --socket-exists",
         "! --socket-exists ! --uid-owner 1000-2000 --gid-owner 5 --suppl-groups"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(OwnerMatch.self, input, chain: .output)) == expected)
    }

    @Test func groupNamesResolveThroughEtcGroup() throws {
        // Every Debian system has group root (0).
        #expect(try loadMatch(OwnerMatch.self, "--gid-owner root").gid == Negatable(OwnerMatch.IDRange(0)))
    }

    /// iptables: `Bad value for "--uid-owner" option: "4294967295"` (and the same for the others).
    @Test(arguments: ["4294967295", "5-", ":5", "no-such-user-here", "-1", "1-2-3"])
    func badIDsNameTheOptionAndValue(id: String) {
        let error = modelError { _ = try loadMatch(OwnerMatch.self, "--uid-owner \(id)") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains("--uid-owner \(id)") == true)
    }

    @Test func refusesWhatIptablesAndTheKernelRefuse() {
        // "you need to use --gid-owner first"
        #expect(modelError { _ = try loadMatch(OwnerMatch.self, "--suppl-groups --gid-owner 5") }?.kind == .notAllowed)
        // "At least one of --uid-owner, --gid-owner or --socket-exists is required"
        #expect(modelError { _ = try loadMatch(OwnerMatch.self, "") }?.kind == .missingArgument)
        // iptables-legacy -A OUTPUT -m owner --uid-owner 20-10: EINVAL from the kernel.
        #expect(modelError { _ = try loadMatch(OwnerMatch.self, "--uid-owner 20-10") }?.message.contains("backwards") == true)
        // iptables-legacy -A INPUT -m owner --uid-owner 0: EINVAL (owner hooks are OUTPUT and POSTROUTING).
        #expect(modelError { _ = try loadMatch(OwnerMatch.self, "--uid-owner 0", chain: .input) }?.kind == .notAllowed)
        #expect(modelError { _ = try loadMatch(OwnerMatch.self, "! --suppl-groups --gid-owner 1") }?.kind == .notAllowed)
        // Linux removed pid, sid and command matching; iptables 1.8.9 says: unknown option "--pid-owner".
        #expect(modelError { _ = try loadMatch(OwnerMatch.self, "--uid-owner 0 --uid-owner 1") } != nil)
    }
}
