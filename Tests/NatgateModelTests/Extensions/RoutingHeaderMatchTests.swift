import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'ip6tables-legacy -A INPUT -m rt ARGS;
/// ip6tables-legacy-save'` with iptables 1.8.9.
@Suite struct RoutingHeaderMatchTests {
    @Test(arguments: [
        ("--rt-type 0", "--rt-type 0"),
        ("! --rt-type 2 ! --rt-segsleft 3:5 ! --rt-len 8", "! --rt-type 2 ! --rt-segsleft 3:5 ! --rt-len 8"),
        ("--rt-segsleft 3", "--rt-segsleft 3"),
        ("--rt-segsleft :5", "--rt-segsleft 0:5"),
        ("--rt-segsleft 5:", "--rt-segsleft 5:4294967295"),
        ("--rt-segsleft 0:4294967295", ""),
        ("! --rt-segsleft 0:4294967295", ""),
        ("--rt-segsleft 5:3", "--rt-segsleft 5:3"),
        ("--rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:db8::2 --rt-0-not-strict",
         "--rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:db8::2 --rt-0-not-strict"),
        ("--rt-type 300", "--rt-type 300"),
        ("--rt-len 0", "--rt-len 0"),
        ("! --rt-type 0 --rt-segsleft 3:5 --rt-len 8", "! --rt-type 0 --rt-segsleft 3:5 --rt-len 8"),
        ("--rt-type 0 --rt-0-addrs ::1,::2,::3,::4,::5,::6,::7,::8,::9,::10,::11,::12,::13,::14,::15,::16",
         "--rt-type 0 --rt-0-addrs ::1,::2,::3,::4,::5,::6,::7,::8,::9,::10,::11,::12,::13,::14,::15,::16"),
    ])
    func savesAsIp6tablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(RoutingHeaderMatch.self, input, family: .ipv6), family: .ipv6) == expected)
    }

    @Test func ipv6Only() {
        #expect(RoutingHeaderMatch.families == [.ipv6])
    }

    /// iptables: "Too many components", "too many addresses specified", "bad address".
    @Test(arguments: [
        ("--rt-segsleft 1:2:3", "--rt-segsleft 1:2:3"),
        ("--rt-type 0 --rt-0-addrs ::1,::2,::3,::4,::5,::6,::7,::8,::9,::10,::11,::12,::13,::14,::15,::16,::17", "--rt-0-addrs"),
        ("--rt-type 0 --rt-0-addrs 10.0.0.1", "--rt-0-addrs 10.0.0.1"),
        ("--rt-type -1", "--rt-type -1"),
        ("--rt-len 4294967296", "--rt-len 4294967296"),
    ])
    func badValuesNameTheOptionAndValue(input: String, named: String) {
        let error = modelError { _ = try loadMatch(RoutingHeaderMatch.self, input, family: .ipv6) }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains(named) == true, "\(String(describing: error))")
    }

    /// "`--rt-type 0' required before `--rt-0-res'" and the like.
    @Test(arguments: ["--rt-0-res", "--rt-type 2 --rt-0-res", "! --rt-type 0 --rt-0-addrs ::1", "--rt-type 0 --rt-0-not-strict"])
    func typeZeroOptionsNeedTypeZero(input: String) {
        #expect(modelError { _ = try loadMatch(RoutingHeaderMatch.self, input, family: .ipv6) }?.kind == .notAllowed)
    }
}
