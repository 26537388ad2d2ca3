import Foundation
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// The lab harness itself, proven with the classic `iptables-legacy` commands run in the lab's own
/// host namespace: if these pass, a failure in the natgate scenarios is natgate's.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndHarnessTests {
    @Test func topologyHasTheArticlesAddressesAndRoutes() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let ns1 = lab.inner[0]
        #expect(ns1.hostInterface == "v-eth1" && ns1.interface == "v-peer1")
        #expect(try lab.host.ip("-4", "-o", "addr", "show", "dev", "v-eth1").contains("10.200.1.1/24"))
        #expect(try lab.host.ip("-4", "-o", "addr", "show", "dev", "eth0").contains("203.0.113.2/24"))
        #expect(try ns1.namespace.ip("-4", "-o", "addr", "show", "dev", "v-peer1").contains("10.200.1.2/24"))
        #expect(try ns1.namespace.ip("-4", "route", "show", "default").contains("via 10.200.1.1"))
        // The outside must not know the way back to ns1: only NAT can get it an answer.
        let outsideRoutes = try lab.outside.ip("-4", "route", "show")
        #expect(!outsideRoutes.contains("10.200.1."))
        #expect(!outsideRoutes.contains("default"))
        // The lab starts with forwarding off, as a fresh host does.
        #expect(try lab.host.sysctl("net.ipv4.ip_forward") == "0")
    }

    @Test func removeDeletesEveryNamespace() throws {
        let lab = try LabTopology(.init(innerCount: 2))
        let names = lab.allNamespaces.map(\.name)
        #expect(names.count == 4)
        for name in names { #expect(FileManager.default.fileExists(atPath: "/run/netns/\(name)")) }
        lab.remove()
        for name in names { #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)")) }
        lab.remove()  // a second call does nothing
    }

    @Test func parallelTopologiesGetDistinctNames() throws {
        let first = try LabTopology()
        defer { first.remove() }
        let second = try LabTopology()
        defer { second.remove() }
        #expect(Set(first.allNamespaces.map(\.name)).isDisjoint(with: second.allNamespaces.map(\.name)))
    }

    @Test func responderAnswersWithThePeerAddressOnItsOwnLink() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let outcome = try TCPProbe.connect(from: lab.host, to: LabTopology.outsideAddress, port: responder.port)
        #expect(outcome == .answered(LabTopology.uplinkAddress))
        #expect(responder.peersSeen == [LabTopology.uplinkAddress])
    }

    @Test func withoutForwardingNs1GetsNoConnection() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let outcome = try TCPProbe.connect(from: lab.inner[0].namespace, to: LabTopology.outsideAddress, port: responder.port, timeout: .seconds(1))
        #expect(outcome.answer == nil)
        #expect(responder.peersSeen.isEmpty)
    }

    /// Forwarding alone is not enough: the outside has no route back to 10.200.1.0/24.
    @Test func forwardingWithoutMasqueradeGetsNoAnswer() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        try lab.host.setSysctl("net.ipv4.ip_forward", to: "1")
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let outcome = try TCPProbe.connect(from: lab.inner[0].namespace, to: LabTopology.outsideAddress, port: responder.port, timeout: .seconds(1))
        #expect(outcome.answer == nil)
    }

    /// The article's two commands, run with iptables-legacy in the lab's host: masqueraded, then cut off.
    @Test func classicMasqueradeIsSeenAndCutOff() throws {
        let lab = try LabTopology()
        defer { lab.remove() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let ns1 = lab.inner[0].namespace
        try lab.host.setSysctl("net.ipv4.ip_forward", to: "1")
        let rule = ["-t", "nat", "POSTROUTING", "-s", "10.200.1.0/24", "-o", "eth0", "-j", "MASQUERADE"]
        try lab.host.exec(["iptables-legacy", "-w", rule[0], rule[1], "-A"] + rule[2...])
        let through = try TCPProbe.connect(from: ns1, to: LabTopology.outsideAddress, port: responder.port)
        #expect(through == .answered(LabTopology.uplinkAddress))
        #expect(try lab.host.exec(["iptables-legacy-save", "-c", "-t", "nat"]).contains("[1:60] -A POSTROUTING -s 10.200.1.0/24 -o eth0 -j MASQUERADE"))
        try lab.host.exec(["iptables-legacy", "-w", rule[0], rule[1], "-D"] + rule[2...])
        let cutOff = try TCPProbe.connect(from: ns1, to: LabTopology.outsideAddress, port: responder.port, timeout: .seconds(1))
        #expect(cutOff.answer == nil)
        #expect(responder.peersSeen == [LabTopology.uplinkAddress])
    }

    @Test func ipv6UlaIsMasqueradedWithTheClassicCommands() throws {
        let lab = try LabTopology(.init(ipv6: true))
        defer { lab.remove() }
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress6)
        let ns1 = lab.inner[0]
        let before = try TCPProbe.connect(from: ns1.namespace, to: LabTopology.outsideAddress6, port: responder.port, timeout: .seconds(1))
        #expect(before.answer == nil)
        try lab.host.setSysctl("net.ipv6.conf.all.forwarding", to: "1")
        try lab.host.exec(["ip6tables-legacy", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", ns1.subnet6, "-o", "eth0", "-j", "MASQUERADE"])
        let through = try TCPProbe.connect(from: ns1.namespace, to: LabTopology.outsideAddress6, port: responder.port)
        #expect(through == .answered(LabTopology.uplinkAddress6))
    }
}
