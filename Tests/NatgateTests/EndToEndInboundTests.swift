import Foundation
import NatgateModel
import NatgatePolicy
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// What comes in from the uplink, with real connections, on a host whose FORWARD policy is ACCEPT
/// (a fresh host: nothing else drops anything). The outside gets a route to the subnet via the
/// host, so that it can try to open connections inwards.
///
/// The default gateway keeps those new connections out by itself; a port forward another tool
/// makes on the host (a DNAT in nat PREROUTING) still reaches ns1, and ns1's own connections still
/// get their replies. `inbound all` lets the outside in.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndInboundTests {
    /// The lab's addresses of one family.
    struct Addresses: Sendable, CustomTestStringConvertible {
        var family: Family

        static let ipv4 = Addresses(family: .ipv4)
        static let ipv6 = Addresses(family: .ipv6)

        func subnet(_ inner: LabTopology.Inner) -> String { family == .ipv4 ? inner.subnet : inner.subnet6 }
        func address(_ inner: LabTopology.Inner) -> String { family == .ipv4 ? inner.address : inner.address6 }
        var outside: String { family == .ipv4 ? LabTopology.outsideAddress : LabTopology.outsideAddress6 }
        var uplink: String { family == .ipv4 ? LabTopology.uplinkAddress : LabTopology.uplinkAddress6 }
        /// iptables-legacy or ip6tables-legacy.
        var tool: String { family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy" }
        /// `10.200.1.2:8080`, `[fd00:200:1::2]:8080`: a DNAT destination.
        func destination(_ address: String, _ port: UInt16) -> String {
            family == .ipv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        }

        var testDescription: String { "\(family)" }
    }

    /// The port the host forwards to ns1; nothing listens on it in the host itself.
    static let forwardedPort: UInt16 = 8080

    @Test(arguments: [Addresses.ipv4, .ipv6])
    func defaultKeepsNewInboundOutButLetsPortForwardsAndRepliesIn(_ family: Addresses) throws {
        let lab = try LabTopology(.init(ipv6: family.family == .ipv6, outsideRoutesToInner: true))
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let ns1 = lab.inner[0]
        let inside = try lab.startResponder(in: ns1.namespace, address: family.address(ns1))
        let outsideResponder = try lab.startResponder(in: lab.outside, address: family.outside)
        // A fresh host: nothing but natgate's rules decides.
        #expect(try lab.host.exec(["\(family.tool)-save", "-t", "filter"]).contains(":FORWARD ACCEPT"))

        try natgate.enable(LabGateways.gateway(family.subnet(ns1)))

        // (a) A new connection from the outside straight to ns1 does not get in.
        let direct = try TCPProbe.connect(from: lab.outside, to: family.address(ns1), port: inside.port, timeout: LabGateways.blocked)
        #expect(direct.answer == nil, "the default let a new inbound connection into the subnet")

        // (d) ns1's own connections still go out, masqueraded, and their replies come back.
        #expect(try LabGateways.connect(ns1.namespace, outsideResponder) == .answered(family.uplink))

        // (c) A port forward on the host (another tool's DNAT into the subnet) still reaches ns1,
        // with the outside's own address: forwarded in, not masqueraded.
        try lab.host.exec([
            family.tool, "-w", "-t", "nat", "-A", "PREROUTING", "-i", LabTopology.uplink, "-p", "tcp",
            "--dport", "\(Self.forwardedPort)", "-j", "DNAT", "--to-destination", family.destination(family.address(ns1), inside.port),
        ])
        let forwarded = try TCPProbe.connect(from: lab.outside, to: family.uplink, port: Self.forwardedPort, timeout: .seconds(3))
        #expect(forwarded == .answered(family.outside))
        #expect(inside.peersSeen == [family.outside])

        // (b) `inbound all` lets the outside open connections into ns1.
        try natgate.enable(LabGateways.gateway(family.subnet(ns1), inbound: .all))
        let all = try TCPProbe.connect(from: lab.outside, to: family.address(ns1), port: inside.port, timeout: .seconds(3))
        #expect(all == .answered(family.outside))
        #expect(inside.peersSeen == [family.outside, family.outside])
    }
}
