import Testing
@testable import NatgateModel

// Every expected text below is what iptables-legacy-save 1.8.9 printed after the command in the
// comment, run as `unshare --net sh -c 'iptables-legacy -t nat -A CHAIN …; iptables-legacy-save'`
// (ip6tables-legacy for IPv6).

@Suite struct SNATTargetTests {
    // iptables-legacy -t nat -A POSTROUTING -s 10.0.0.0/8 -j SNAT --to-source 192.0.2.1
    @Test func singleAddress() throws {
        let snat = try target(SNATTarget.self, "--to-source 192.0.2.1")
        #expect(saved(snat) == "--to-source 192.0.2.1")
        #expect(snat.source == NATRange(.v4(IPv4Address(192, 0, 2, 1))))
    }

    // iptables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent
    @Test func rangeWithPortsAndEveryFlagInCanonicalOrder() throws {
        let snat = try target(SNATTarget.self, "--persistent --random-fully --to-source 192.0.2.1-192.0.2.9:1000-2000 --random", protocol: .tcp)
        #expect(saved(snat, protocol: .tcp) == "--to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent")
        #expect(snat.source?.ports == (try PortRange(lower: 1000, upper: 2000)))
    }

    // iptables-legacy -t nat -A POSTROUTING -p udp -j SNAT --to-source :1000
    @Test func portsOnly() throws {
        let snat = try target(SNATTarget.self, "--to-source :1000", protocol: .udp)
        #expect(saved(snat) == "--to-source :1000")
        #expect(snat.source?.addresses == nil)
    }

    // iptables-legacy -t nat -A POSTROUTING -j SNAT --to-source 192.0.2.9-192.0.2.1 (accepted, printed as given)
    @Test func backwardsAddressRangeIsKeptAsIptablesDoes() throws {
        #expect(saved(try target(SNATTarget.self, "--to-source 192.0.2.9-192.0.2.1")) == "--to-source 192.0.2.9-192.0.2.1")
    }

    // iptables-legacy -t nat -A POSTROUTING -p icmp -j SNAT --to-source 192.0.2.1:5-6 (icmp may map "ports")
    @Test func icmpMayMapPorts() throws {
        #expect(saved(try target(SNATTarget.self, "--to-source 192.0.2.1:5-6", protocol: .icmp)) == "--to-source 192.0.2.1:5-6")
    }

    // ip6tables-legacy -t nat -A POSTROUTING -j SNAT --to-source 2001:db8::1
    // ip6tables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully
    // ip6tables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source []:1000-2000  → --to-source :1000-2000
    @Test func ipv6FormsBracketOnlyWithPorts() throws {
        #expect(saved(try target(SNATTarget.self, "--to-source 2001:db8::1", family: .ipv6), family: .ipv6) == "--to-source 2001:db8::1")
        let ranged = try target(SNATTarget.self, "--to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully", family: .ipv6, protocol: .tcp)
        #expect(saved(ranged, family: .ipv6) == "--to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully")
        #expect(saved(try target(SNATTarget.self, "--to-source []:1000-2000", family: .ipv6, protocol: .tcp), family: .ipv6) == "--to-source :1000-2000")
        #expect(saved(try target(SNATTarget.self, "--to-source :1000-2000", family: .ipv6, protocol: .tcp), family: .ipv6) == "--to-source :1000-2000")
    }

    // ip6tables-legacy -t nat -A PREROUTING -p tcp -j DNAT --to-destination 2001:db8::1:80 → an address, no port
    @Test func ipv6WithoutBracketsIsAllAddress() throws {
        let snat = try target(SNATTarget.self, "--to-source 2001:db8::1:80", family: .ipv6, protocol: .tcp)
        #expect(snat.source?.ports == nil)
        #expect(saved(snat, family: .ipv6) == "--to-source 2001:db8::1:80")
    }

    // iptables-legacy … -p tcp -j SNAT --to-source 2001:db8::1 → Bad IP address "2001:db8::1"
    @Test func ipv6AddressInIPv4RuleNamesTheAddress() {
        let error = modelError { _ = try target(SNATTarget.self, "--to-source 2001:db8::1", protocol: .tcp) }
        #expect(error?.kind == .invalidAddress)
        #expect(error?.message.contains("--to-source 2001:db8::1") == true)
        #expect(error?.message.contains("'2001:db8::1' is an IPv6 address, but the rule is IPv4") == true)
    }

    // ip6tables-legacy … -j DNAT --to-destination 192.0.2.1 → Bad IP address "192.0.2.1"
    @Test func ipv4AddressInIPv6RuleNamesTheAddress() {
        let error = modelError { _ = try target(SNATTarget.self, "--to-source 192.0.2.1-192.0.2.3", family: .ipv6) }
        #expect(error?.message.contains("'192.0.2.1' is an IPv4 address, but the rule is IPv6") == true)
    }

    // A programmatic range of the wrong family is caught by validate.
    @Test func validateRefusesAnAddressOfTheOtherFamily() {
        let snat = SNATTarget(source: NATRange(.v4(IPv4Address(192, 0, 2, 1))))
        let error = modelError { try snat.validate(context: ExtensionContext(family: .ipv6)) }
        #expect(error?.kind == .invalidAddress)
        #expect(error?.input == "192.0.2.1")
    }

    // iptables-legacy … -j SNAT --to-source 192.0.2.1:5 → Need TCP, UDP, SCTP or DCCP with port specification
    @Test func portsNeedAProtocolWithPorts() {
        let error = modelError { _ = try target(SNATTarget.self, "--to-source 192.0.2.1:5") }
        #expect(error?.kind == .notAllowed)
        #expect(error?.message.contains("--to-source 192.0.2.1:5") == true)
        #expect(throws: Never.self) { try target(SNATTarget.self, "--to-source 192.0.2.1:5", protocol: IPProtocol(number: 33)) }
    }

    // iptables-legacy … -p tcp -j SNAT --to-source 192.0.2.1:90-80 → Port range `80' funky
    // iptables-legacy … -p tcp -j REDIRECT --to-ports 80:90 → Invalid port:port syntax - use dash
    @Test(arguments: ["192.0.2.1:90-80", "192.0.2.1:http", "192.0.2.1:", "192.0.2.1:70000", "192.0.2.1:80-90/85", "host.example", "[192.0.2.1]:80"])
    func badRangesNameTheOptionAndValue(_ text: String) {
        let error = modelError { _ = try target(SNATTarget.self, ["--to-source", text], protocol: .tcp) }
        #expect(error != nil)
        #expect(error?.message.hasPrefix("--to-source \(text):") == true)
    }

    // iptables-legacy -t nat -A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4:0x50-0120 → --to-source 1.2.3.4:80
    @Test func portsAreReadAsCNumbers() throws {
        #expect(saved(try target(SNATTarget.self, "--to-source 1.2.3.4:0x50-0120", protocol: .tcp)) == "--to-source 1.2.3.4:80")
    }

    // iptables-legacy -t nat -A POSTROUTING ! --random -j MASQUERADE → refused
    @Test func optionsCannotBeNegated() {
        #expect(modelError { _ = try target(SNATTarget.self, "--to-source 192.0.2.1 ! --random") }?.kind == .notAllowed)
        #expect(modelError { _ = try target(MasqueradeTarget.self, "! --random") }?.kind == .notAllowed)
    }

    // iptables-legacy … -j SNAT --to-source 1.2.3.4 --to-source 1.2.3.5 → can only be used once
    @Test func toSourceTwiceIsRefused() {
        #expect(modelError { _ = try target(SNATTarget.self, "--to-source 192.0.2.1 --to-source 192.0.2.2") }?.message.contains("only be used once") == true)
    }

    @Test func toSourceIsRequired() {
        #expect(modelError { _ = try target(SNATTarget.self, "--random") }?.kind == .missingArgument)
    }

    @Test func kernelPlacement() {
        #expect(SNATTarget.allowedTables == [.nat])
        #expect(SNATTarget.allowedChains == [.postrouting, .input])
    }
}
