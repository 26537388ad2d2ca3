import Foundation
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// A gateway translates only what leaves by its uplink, seen in the packets: the host gets a
/// second interface, `eth1`, to a second outside namespace that routes the subnet back through the
/// host. With the gateway on `eth0`, ns1's connection out of `eth1` arrives with ns1's own address
/// while its connection out of `eth0` arrives masqueraded.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndOtherInterfaceTests {
    /// The second outside link (TEST-NET-2, RFC 5737): host `eth1` 198.51.100.2, the other end 198.51.100.1.
    static let otherInterface = "eth1"
    static let otherOutsideInterface = "o-eth1"
    static let otherOutsideAddress = "198.51.100.1"
    static let otherHostAddress = "198.51.100.2"

    @Test func trafficLeavingByAnotherInterfaceIsNotTranslated() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let other = try LabNamespace.create(LabNamespace.uniqueName(role: "outside2"))
        defer { other.remove() }
        let ns1 = lab.inner[0]
        try lab.host.ip("link", "add", Self.otherInterface, "type", "veth", "peer", "name", Self.otherOutsideInterface, "netns", other.name)
        try lab.host.ip("addr", "add", "\(Self.otherHostAddress)/24", "dev", Self.otherInterface)
        try other.ip("addr", "add", "\(Self.otherOutsideAddress)/24", "dev", Self.otherOutsideInterface)
        try lab.host.ip("link", "set", Self.otherInterface, "up")
        try other.ip("link", "set", Self.otherOutsideInterface, "up")
        // The second outside knows the way back to ns1, so an untranslated connection gets an answer.
        try other.ip("route", "add", ns1.subnet, "via", Self.otherHostAddress)

        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        let viaUplink = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let viaOther = try lab.startResponder(in: other, address: Self.otherOutsideAddress)
        try natgate.enable(LabGateways.gateway(ns1.subnet))
        // A fresh host's FORWARD policy (ACCEPT) forwards what natgate's rules leave alone.
        #expect(try lab.host.exec(["iptables-legacy-save", "-t", "filter"]).contains(":FORWARD ACCEPT"))

        #expect(try LabGateways.connect(ns1.namespace, viaOther) == .answered(ns1.address))
        #expect(try LabGateways.connect(ns1.namespace, viaUplink) == .answered(LabTopology.uplinkAddress))
        #expect(viaOther.peersSeen == [ns1.address])
        #expect(viaUplink.peersSeen == [LabTopology.uplinkAddress])
    }
}
