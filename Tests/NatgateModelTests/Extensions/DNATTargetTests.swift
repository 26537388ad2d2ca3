import Testing
@testable import NatgateModel

// Every expected text below is what iptables-legacy-save 1.8.9 printed after the command in the
// comment, run as `unshare --net sh -c 'iptables-legacy -t nat -A CHAIN …; iptables-legacy-save'`
// (ip6tables-legacy for IPv6).

@Suite struct DNATTargetTests {
    // iptables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80
    // iptables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination :80
    // iptables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80-90/85
    // iptables-legacy -t nat -A PREROUTING -p sctp -j DNAT --to-destination 192.0.2.1-192.0.2.3 --random --persistent
    @Test(arguments: [
        ("--to-destination 192.0.2.1:80", "--to-destination 192.0.2.1:80"),
        ("--to-destination :80", "--to-destination :80"),
        ("--to-destination 192.0.2.1:80-90/85", "--to-destination 192.0.2.1:80-90/85"),
        ("--persistent --to-destination 192.0.2.1-192.0.2.3 --random", "--to-destination 192.0.2.1-192.0.2.3 --random --persistent"),
    ])
    func ipv4Forms(_ input: String, _ expected: String) throws {
        #expect(saved(try target(DNATTarget.self, input, protocol: .tcp)) == expected)
    }

    // ip6tables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80
    // ip6tables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80-90/85
    // ip6tables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination [::ffff:1.2.3.4] → ::ffff:1.2.3.4
    @Test(arguments: [
        ("--to-destination [2001:db8::1]:80", "--to-destination [2001:db8::1]:80"),
        ("--to-destination [2001:db8::1]:80-90/85", "--to-destination [2001:db8::1]:80-90/85"),
        ("--to-destination [::ffff:1.2.3.4]", "--to-destination ::ffff:1.2.3.4"),
    ])
    func ipv6Forms(_ input: String, _ expected: String) throws {
        #expect(saved(try target(DNATTarget.self, input, family: .ipv6, protocol: .tcp), family: .ipv6) == expected)
    }

    @Test func randomFullyIsNotADNATOption() {
        #expect(modelError { _ = try target(DNATTarget.self, "--to-destination 192.0.2.1 --random-fully") }?.kind == .unknownOption)
    }

    @Test func portBaseNeedsARange() {
        #expect(modelError { _ = try target(DNATTarget.self, "--to-destination 192.0.2.1:80/85", protocol: .tcp) } != nil)
    }

    @Test func kernelPlacement() {
        #expect(DNATTarget.allowedTables == [.nat])
        #expect(DNATTarget.allowedChains == [.prerouting, .output])
    }
}
