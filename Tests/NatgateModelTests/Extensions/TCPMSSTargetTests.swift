import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

@Suite struct TCPMSSTargetTests {
    // iptables-legacy -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS <input>
    @Test(arguments: [
        ("--clamp-mss-to-pmtu", "--clamp-mss-to-pmtu"), ("--set-mss 1400", "--set-mss 1400"),
        ("--set-mss 0x500", "--set-mss 1280"), ("--set-mss 1400 --clamp-mss-to-pmtu", "--clamp-mss-to-pmtu"),
    ])
    func tcpmss(_ input: String, _ expected: String) throws {
        #expect(saved(try target(TCPMSSTarget.self, input, protocol: .tcp)) == expected)
    }

    // … --set-mss 65535 → out of range (0-65515); ip6tables: 0-65495
    @Test func tcpmssLimits() throws {
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--set-mss 65516", protocol: .tcp) }?.message.hasPrefix("--set-mss 65516:") == true)
        #expect((try? target(TCPMSSTarget.self, "--set-mss 65515", protocol: .tcp)) != nil)
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--set-mss 65496", family: .ipv6, protocol: .tcp) } != nil)
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--set-mss 1400", protocol: .udp) }?.kind == .notAllowed)
        #expect(modelError { _ = try target(TCPMSSTarget.self, "", protocol: .tcp) }?.kind == .missingArgument)
    }

    // Kernel: --clamp-mss-to-pmtu refused from PREROUTING and INPUT in every table (EINVAL).
    @Test func clampOnlyOnTheWayOut() {
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--clamp-mss-to-pmtu", protocol: .tcp, table: .mangle, chain: .prerouting) }?.kind == .notAllowed)
        #expect((try? target(TCPMSSTarget.self, "--clamp-mss-to-pmtu", protocol: .tcp, table: .filter, chain: .forward)) != nil)
        #expect((try? target(TCPMSSTarget.self, "--set-mss 1400", protocol: .tcp, table: .mangle, chain: .prerouting)) != nil)
    }
}
