import Foundation
import Logging
import NatgateModel
import NatgateKernel
import NatgatePolicy
import NatgateSysctl
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// natgate's gateways with real traffic: each test builds its own lab (outside, host, ns1…) in
/// namespaces with unique names, drives natgate's façade in the lab's host namespace, connects
/// through it, and removes everything. `iptables-legacy-save` in the lab's host is the independent
/// oracle for what the kernel holds.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndGatewayTests {
    /// The article's scenario: masqueraded through natgate, then cut off by disable, with the
    /// host's tables and forwarding back as they were.
    @Test func articleScenarioIsMasqueradedThenCutOff() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let ns1 = lab.inner[0]
        let tablesBefore = try Self.filterAndNat(lab.host)

        #expect(try LabGateways.connect(ns1.namespace, responder, timeout: LabGateways.blocked).answer == nil)

        let enabled = try natgate.enable(LabGateways.gateway(ns1.subnet))
        #expect(enabled.outcome == .changed)
        #expect(try lab.host.sysctl("net.ipv4.ip_forward") == "1")
        let committed = try lab.host.exec(["iptables-legacy-save"])
        #expect(committed.contains("-m set --match-set natgate-n"))
        #expect(committed.contains("-j MASQUERADE"))
        #expect(try lab.host.exec(["ipset", "save"]).contains(" 10.200.1.0/24,eth0"), "the gateway is a set member")

        #expect(try LabGateways.connect(ns1.namespace, responder) == .answered(LabTopology.uplinkAddress))
        #expect(responder.peersSeen == [LabTopology.uplinkAddress])

        let disabled = try natgate.disable(LabGateways.gateway(ns1.subnet).key)
        #expect(disabled.outcome == .changed)
        #expect(try LabGateways.connect(ns1.namespace, responder, timeout: LabGateways.blocked).answer == nil)
        #expect(try lab.host.sysctl("net.ipv4.ip_forward") == "0")
        #expect(try Self.filterAndNat(lab.host) == tablesBefore)
        #expect(responder.peersSeen == [LabTopology.uplinkAddress])
    }

    /// Two namespaces behind two subnets, both masqueraded at once.
    @Test func twoSubnetsAreBothMasqueraded() throws {
        let lab = try LabTopology(.init(innerCount: 2))
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        for inner in lab.inner { try natgate.enable(LabGateways.gateway(inner.subnet)) }
        for inner in lab.inner {
            #expect(try LabGateways.connect(inner.namespace, responder) == .answered(LabTopology.uplinkAddress), "from \(inner.address)")
        }
        #expect(responder.peersSeen == [LabTopology.uplinkAddress, LabTopology.uplinkAddress])
    }

    /// Disabling one gateway leaves the other working, and forwarding on for it.
    @Test func gatewaySurvivesDisableOfTheOther() throws {
        let lab = try LabTopology(.init(innerCount: 2))
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let (ns1, ns2) = (lab.inner[0], lab.inner[1])
        try natgate.enable(LabGateways.gateway(ns1.subnet))
        try natgate.enable(LabGateways.gateway(ns2.subnet))
        try natgate.disable(LabGateways.gateway(ns2.subnet).key)

        #expect(try LabGateways.connect(ns2.namespace, responder, timeout: LabGateways.blocked).answer == nil)
        #expect(try LabGateways.connect(ns1.namespace, responder) == .answered(LabTopology.uplinkAddress))
        #expect(try lab.host.sysctl("net.ipv4.ip_forward") == "1")
        let members = try lab.host.exec(["ipset", "save"])
        #expect(members.contains(ns1.subnet) && !members.contains(ns2.subnet))
    }

    /// `inbound all` lets the outside open connections into ns1; the default (`established`) does
    /// not. The lab host's FORWARD policy is DROP here, as on a host with a firewall (natgate never
    /// changes the policy); `EndToEndInboundTests` does the same on a host whose policy is ACCEPT.
    /// The outside gets a route to 10.200.1.0/24 via the host, for this test only.
    @Test func inboundAllLetsTheOutsideConnectWhileTheDefaultDoesNot() throws {
        let lab = try LabTopology(.init(outsideRoutesToInner: true))
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        try lab.host.exec(["iptables-legacy", "-w", "-P", "FORWARD", "DROP"])
        let ns1 = lab.inner[0]
        let inside = try lab.startResponder(in: ns1.namespace, address: ns1.address)
        let outsideResponder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)

        try natgate.enable(LabGateways.gateway(ns1.subnet))
        let inwardDefault = try TCPProbe.connect(from: lab.outside, to: ns1.address, port: inside.port, timeout: LabGateways.blocked)
        #expect(inwardDefault.answer == nil, "the default lets only replies in")
        // Replies to ns1's own connections still come in.
        #expect(try LabGateways.connect(ns1.namespace, outsideResponder) == .answered(LabTopology.uplinkAddress))

        try natgate.enable(LabGateways.gateway(ns1.subnet, inbound: .all))
        let inwardAll = try TCPProbe.connect(from: lab.outside, to: ns1.address, port: inside.port)
        // Inbound connections are forwarded, not NATed: ns1 sees the outside's own address.
        #expect(inwardAll == .answered(LabTopology.outsideAddress))
        #expect(inside.peersSeen == [LabTopology.outsideAddress])
    }

    /// A ULA /64 masqueraded out of the uplink's documentation-prefix address, with IPv6 forwarding
    /// switched on by natgate and put back by disable.
    @Test func ipv6UlaIsMasqueraded() throws {
        let lab = try LabTopology(.init(ipv6: true))
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress6)
        let ns1 = lab.inner[0]
        #expect(try LabGateways.connect(ns1.namespace, responder, timeout: LabGateways.blocked).answer == nil)

        try natgate.enable(LabGateways.gateway(ns1.subnet6))
        #expect(try lab.host.sysctl("net.ipv6.conf.all.forwarding") == "1")
        #expect(try lab.host.exec(["ip6tables-legacy-save"]).contains("-m set --match-set natgate-n"))
        #expect(try lab.host.exec(["ipset", "save"]).contains(" fd00:200:1::/64,eth0"))
        #expect(try LabGateways.connect(ns1.namespace, responder) == .answered(LabTopology.uplinkAddress6))

        try natgate.disable(LabGateways.gateway(ns1.subnet6).key)
        #expect(try LabGateways.connect(ns1.namespace, responder, timeout: LabGateways.blocked).answer == nil)
        #expect(try lab.host.sysctl("net.ipv6.conf.all.forwarding") == "0")
    }

    /// Conntrack evidence: the MASQUERADE rule sees the first packet of each new connection, so
    /// its counter in `status` rises by one per connection.
    @Test func masqueradeCounterCountsEachConnection() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let ns1 = lab.inner[0]
        try natgate.enable(LabGateways.gateway(ns1.subnet))
        let before = try Self.natPackets(natgate)
        #expect(before == 0)
        for _ in 0..<3 {
            #expect(try LabGateways.connect(ns1.namespace, responder).answer == LabTopology.uplinkAddress)
        }
        #expect(try Self.natPackets(natgate) == before + 3)
    }

    static func natPackets(_ natgate: GatewayController) throws -> UInt64 {
        try natgate.status().families.flatMap(\.gateways).reduce(0) { $0 + $1.natPackets }
    }

    /// The host's filter and nat tables as iptables-legacy-save prints them, without its `#` lines
    /// and with chain counters zeroed (traffic moves them). Reading a table instantiates it in the
    /// namespace, so before and after compare like with like.
    static func filterAndNat(_ host: LabNamespace) throws -> String {
        var lines: [String] = []
        for table in ["filter", "nat"] {
            for line in try host.exec(["iptables-legacy-save", "-t", table]).split(separator: "\n") where !line.hasPrefix("#") {
                if line.hasPrefix(":"), let bracket = line.lastIndex(of: "[") {
                    lines.append(line[..<bracket] + "[0:0]")
                } else {
                    lines.append(String(line))
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
