import Testing
@testable import NatgateModel

// Every expected text below is what iptables-legacy-save 1.8.9 printed after the command in the
// comment, run as `unshare --net sh -c 'iptables-legacy -t nat -A CHAIN …; iptables-legacy-save'`
// (ip6tables-legacy for IPv6).

@Suite struct RedirectTargetTests {
    // iptables-legacy -t nat -A OUTPUT -p tcp -j REDIRECT --to-ports 8080 --random
    // iptables-legacy -t nat -A OUTPUT -p udp -j REDIRECT
    // iptables-legacy -t nat -A OUTPUT -j REDIRECT --to-ports 80 → Need TCP, UDP, SCTP or DCCP with port specification
    @Test func redirectForms() throws {
        #expect(saved(try target(RedirectTarget.self, "--random --to-ports 8080", protocol: .tcp)) == "--to-ports 8080 --random")
        #expect(saved(try target(RedirectTarget.self, "", protocol: .udp)) == "")
        #expect(modelError { _ = try target(RedirectTarget.self, "--to-ports 80") }?.kind == .notAllowed)
        #expect(RedirectTarget.allowedChains == [.prerouting, .output])
        #expect(MasqueradeTarget.allowedChains == [.postrouting])
    }
}
