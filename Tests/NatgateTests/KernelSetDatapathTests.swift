import Foundation
import Logging
import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateTesting
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

/// The ip set datapath in throwaway namespaces: `ipset save` and `iptables-legacy-save` are the
/// oracles for what the kernel holds after each change.
@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip, ipset and iptables-legacy"), .serialized)
struct KernelSetDatapathTests {
    static func sets(_ gateways: [Gateway], _ family: Family = .ipv4) throws -> String {
        IPSetContents.saveText(GatewayCompiler(datapath: .ipSets).sets(for: try GatewaySet(gateways), family: family).values)
    }

    @Test func enableAndDisableOfAnExistingShapeChangeMembersOnlyAndTheLastTakesEverything() throws {
        try Scratch.with { scratch in
            let natgate = scratch.controller
            let a = try gateway("10.250.1.0/24", "eth0")
            let b = try gateway("10.250.2.0/24", "eth1")
            try natgate.enable(a)
            #expect(try scratch.saveSets() == (try Self.sets([a])))
            let tables = try scratch.save()
            #expect(tables.contains("-A NATGATE-FORWARD -m set --match-set \(GatewayShape(filterOf: a).setName) src,dst"))

            let report = try natgate.enable(b)
            #expect(report.outcome == .changed)
            #expect(try scratch.save() == tables, "no table changed: b is members only")
            #expect(try scratch.saveSets() == (try Self.sets([a, b])))
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == [a, b])
            #expect(!(try natgate.status().hasDrift))

            try natgate.disable(b.key)
            #expect(try scratch.save() == tables)
            #expect(try scratch.saveSets() == (try Self.sets([a])))

            try natgate.disable(a.key)
            #expect(try scratch.saveSets() == "")
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }

    @Test func everyOptionAppliesAndFlushLeavesNothing() throws {
        try Scratch.with { scratch in
            let natgate = scratch.controller
            let gateways = [
                try Gateway(subnet: IPNetwork("10.250.1.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("v-1"), inbound: .all,
                    exclude: [IPNetwork("10.0.0.0/8")], snatTo: IPAddress("203.0.113.7"), ports: PortRange("1024-65535", separator: "-"), randomFully: true),
                try Gateway(subnet: IPNetwork("10.250.2.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("v-2"), inbound: .all,
                    exclude: [IPNetwork("10.0.0.0/8")], snatTo: IPAddress("203.0.113.7"), ports: PortRange("1024-65535", separator: "-"), randomFully: true),
                try gateway("10.250.3.0/24", "eth0"),
                try gateway("10.250.4.0/24", "wlan+"),
            ]
            try natgate.apply(try GatewaySet(gateways))
            let expected = try GatewayCompiler(datapath: .ipSets).render(try GatewaySet(gateways), family: .ipv4)
            let comparison = try GoldenRules.compare(expected: expected, actual: try scratch.saveAll(), family: .ipv4)
            #expect(comparison.isMatch, "\(comparison)")
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == (try GatewaySet(gateways)).gateways)
            #expect(!(try natgate.status().hasDrift))
            try natgate.flush()
            #expect(try scratch.saveSets() == "")
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }

    @Test func membersEditedByHandAreDriftAndTheNextEnableRepairsThem() throws {
        try Scratch.with { scratch in
            let natgate = scratch.controller
            let a = try gateway("10.250.1.0/24", "eth0")
            let b = try gateway("10.250.2.0/24", "eth0")
            try natgate.apply(try GatewaySet([a, b]))
            let filterSet = GatewayShape(filterOf: a).setName
            try scratch.namespace.shell("ipset add \(filterSet) 10.99.0.0/16,eth9")
            try scratch.namespace.shell("ipset del \(filterSet) 10.250.2.0/24,eth0")
            let status = try natgate.status()
            #expect(status.hasDrift)
            let drift = status.families[0].drift.joined(separator: "\n")
            #expect(drift.contains("10.99.0.0/16") && drift.contains("10.250.2.0/24"), "\(drift)")
            #expect(status.families[0].gateways.map(\.gateway) == [a], "b's filter member is gone: b is not guessed")

            // Re-enabling b states it whole again; the stranger member goes.
            let tables = try scratch.save()
            try natgate.enable(b)
            #expect(try scratch.save() == tables)
            #expect(try scratch.saveSets() == (try Self.sets([a, b])))
            #expect(!(try natgate.status().hasDrift))
        }
    }

    @Test func gatewaysOfAnEarlierNatgateWithRulesPerGatewayMoveIntoSets() throws {
        let perRule = try String(contentsOf: Paths.policies.appendingPathComponent("per-rule/several.rules"), encoding: .utf8)
        let policy = try PolicyFile.decode(Data(contentsOf: Paths.policies.appendingPathComponent("several.json")))
        try Scratch.with { scratch in
            try scratch.load(perRule)
            let natgate = scratch.controller
            #expect(try natgate.status().families[0].gateways.map(\.gateway) == policy.gatewaySet().gateways)
            #expect(try natgate.status().hasDrift, "rules per gateway where shapes are expected")
            try natgate.apply(policy.gatewaySet())
            let golden = try String(contentsOf: Paths.policies.appendingPathComponent("several.rules"), encoding: .utf8)
            let comparison = try GoldenRules.compare(expected: golden, actual: try scratch.saveAll(), family: .ipv4)
            #expect(comparison.isMatch, "\(comparison)")
            #expect(!(try natgate.status().hasDrift))
        }
    }

    @Test func aSetOfAnotherTypeUnderNatgatesNameIsMadeAgain() throws {
        try Scratch.with { scratch in
            let natgate = scratch.controller
            let a = try gateway("10.250.1.0/24", "eth0")
            let name = GatewayShape(filterOf: a).setName
            try scratch.namespace.shell("ipset create \(name) hash:net family inet && ipset add \(name) 10.9.0.0/16")
            #expect(try natgate.status().families[0].drift.contains { $0.contains("is hash:net family inet") })
            try natgate.enable(a)
            #expect(try scratch.saveSets() == (try Self.sets([a])))
            #expect(!(try natgate.status().hasDrift))
            try natgate.flush()
            #expect(try scratch.saveSets() == "")
        }
    }

    @Test func aSetDestroyedAfterItsRulesIsMadeAgainByTheNextChange() throws {
        try Scratch.with { scratch in
            let natgate = scratch.controller
            let a = try gateway("10.250.1.0/24", "eth0")
            try natgate.enable(a)
            // By hand: the filter rules flushed, then the set (no longer used) destroyed.
            let filterSet = GatewayShape(filterOf: a).setName
            try scratch.namespace.shell("iptables-legacy -F NATGATE-FORWARD && ipset destroy \(filterSet)")
            #expect(try natgate.status().hasDrift)
            try natgate.apply(try GatewaySet([a]))
            #expect(try scratch.saveSets() == (try Self.sets([a])))
            #expect(!(try natgate.status().hasDrift))
        }
    }
}

/// Traffic through set-based gateways: `--via`, `--exclude` and the default inbound policy.
@Suite(.enabled(if: isRoot, rootReason))
struct EndToEndSetDatapathTests {
    @Test func viaExcludeAndInboundThroughSets() throws {
        let lab = try LabTopology(.init(innerCount: 2, outsideRoutesToInner: true))
        defer { lab.remove() }
        let natgate = try LabGateways.natgate(lab)
        defer { _ = try? natgate.flush() }
        // Only natgate's ACCEPTs forward anything.
        try lab.host.exec(["iptables-legacy", "-w", "-P", "FORWARD", "DROP"])
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let (ns1, ns2) = (lab.inner[0], lab.inner[1])
        let inside = try lab.startResponder(in: ns2.namespace, address: ns2.address)

        // ns1: --via and the outside network excluded from NAT; ns2: --via, masqueraded. Both share
        // one filter shape (two sets), with two nat shapes.
        let one = try Gateway(subnet: IPNetwork(ns1.subnet), uplink: InterfaceName(LabTopology.uplink), via: InterfaceName(ns1.hostInterface),
            exclude: [IPNetwork("203.0.113.0/24")])
        let two = try Gateway(subnet: IPNetwork(ns2.subnet), uplink: InterfaceName(LabTopology.uplink), via: InterfaceName(ns2.hostInterface))
        try natgate.apply(try GatewaySet([one, two]))
        #expect(try lab.host.exec(["ipset", "list", "-n"]).split(separator: "\n").filter { $0.hasPrefix("natgate-") }.count == 5, "F, FV, two N, the index")

        #expect(try LabGateways.connect(ns1.namespace, responder) == .answered(ns1.address), "excluded: not translated")
        #expect(try LabGateways.connect(ns2.namespace, responder) == .answered(LabTopology.uplinkAddress), "masqueraded")
        let inward = try TCPProbe.connect(from: lab.outside, to: ns2.address, port: inside.port, timeout: LabGateways.blocked)
        #expect(inward.answer == nil, "new inbound connections stay out by default")

        // ns2 through the other namespace's interface is no gateway: the via set does not match.
        try natgate.enable(try Gateway(subnet: IPNetwork(ns2.subnet), uplink: InterfaceName(LabTopology.uplink), via: InterfaceName(ns1.hostInterface)))
        #expect(try LabGateways.connect(ns2.namespace, responder, timeout: LabGateways.blocked).answer == nil)
        try natgate.enable(two)
        #expect(try LabGateways.connect(ns2.namespace, responder) == .answered(LabTopology.uplinkAddress))

        try natgate.flush()
        #expect(try LabGateways.connect(ns2.namespace, responder, timeout: LabGateways.blocked).answer == nil)
        #expect(!(try lab.host.exec(["ipset", "list", "-n"])).contains("natgate-"))
    }
}
