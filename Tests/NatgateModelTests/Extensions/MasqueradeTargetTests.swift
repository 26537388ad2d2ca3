import Testing
@testable import NatgateModel

// Every expected text below is what iptables-legacy-save 1.8.9 printed after the command in the
// comment, run as `unshare --net sh -c 'iptables-legacy -t nat -A CHAIN …; iptables-legacy-save'`
// (ip6tables-legacy for IPv6).

@Suite struct MasqueradeTargetTests {
    // iptables-legacy -t nat -A POSTROUTING -o eth0 -j MASQUERADE
    // ip6tables-legacy -t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000 --random-fully
    // ip6tables-legacy -t nat -A POSTROUTING -p dccp -j MASQUERADE --to-ports 5 --random
    @Test func masqueradeForms() throws {
        #expect(saved(try target(MasqueradeTarget.self, "")) == "")
        #expect(saved(try target(MasqueradeTarget.self, "--random-fully --to-ports 1000-2000", family: .ipv6, protocol: .tcp)) == "--to-ports 1000-2000 --random-fully")
        #expect(saved(try target(MasqueradeTarget.self, "--to-ports 5 --random", family: .ipv6, protocol: IPProtocol(number: 33))) == "--to-ports 5 --random")
    }

    @Test func masqueradePortsNeedAProtocolAndADash() {
        #expect(modelError { _ = try target(MasqueradeTarget.self, "--to-ports 1000") }?.kind == .notAllowed)
        let colon = modelError { _ = try target(MasqueradeTarget.self, "--to-ports 1000:2000", protocol: .tcp) }
        #expect(colon?.message.hasPrefix("--to-ports 1000:2000:") == true)
        #expect(colon?.message.contains("dash") == true)
    }
}
