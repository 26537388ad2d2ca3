import Foundation
import Logging
import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import NatgateTesting
import Testing
@testable import Natgate
@testable import NatgateEngine
import NatgateLab

// Kernel tests: every one runs in a network namespace it creates and removes (ThrowawayNamespace),
// preloaded with iptables-legacy-restore, and checks the kernel with iptables-legacy-save, the
// independent oracle.

@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct KernelGatewayTests {
    @Test(arguments: Paths.hostNames, Backend.allCases)
    func enableAddsOnlyNatgatesLinesAndDisableRestoresTheHost(_ host: String, _ backend: Backend) throws {
        let family = Paths.family(ofHost: host)
        let canonical = try String(contentsOf: Paths.hosts.appendingPathComponent("\(host).canonical"), encoding: .utf8)
        try Scratch.with(family, backend: backend) { scratch in
            try scratch.load(canonical)
            let before = try scratch.save()
            let forwardingBefore = try scratch.forwarding()
            let natgate = scratch.controller
            let gateway = try Gateway(
                subnet: IPNetwork(family == .ipv4 ? "10.250.1.0/24" : "fd00:250:1::/64"), uplink: InterfaceName("eth0"),
                via: InterfaceName("v-eth1"))

            let plan = try natgate.plan(.enable(gateway))
            #expect(try scratch.save() == before, "plan changed the kernel")
            try natgate.enable(gateway)
            let after = try scratch.save()

            // Only natgate's lines were added; every other line is where it was. A host without a
            // nat table gets one (natgate needs it); it is empty again after disable.
            var beforeLines = before.split(separator: "\n").map(String.init)
            if !before.contains("*nat") {
                let nat = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", "COMMIT"]
                // iptables-legacy-save prints nat before filter; iptables-nft-save prints tables
                // in the order they were made.
                beforeLines = backend == .legacy ? nat + beforeLines : beforeLines + nat
            }
            let afterLines = after.split(separator: "\n").map(String.init)
            #expect(afterLines.filter { !$0.contains("NATGATE") } == beforeLines)
            #expect(afterLines.filter { $0.contains("NATGATE") }.count == 8)
            // The plan said exactly that.
            let old = try tables(before, family)
            let new = try tables(after, family)
            for name in [TableName.nat, .filter] {
                let diff = TableDiff.lines(from: old[name] ?? Table.empty(name, family: family), to: new[name]!)
                #expect(diff == (plan.tables.first { $0.table == name }?.lines ?? []), "\(host) \(name)")
            }
            #expect(try scratch.forwarding() == "1")

            // Twice is once.
            let again = try natgate.enable(gateway)
            #expect(again.outcome == .unchanged)
            #expect(try scratch.save() == after)
            #expect(!(try natgate.status().hasDrift))

            // Disable returns the exact previous text (plus the empty nat table it had to create)
            // and forwarding value.
            try natgate.disable(gateway.key)
            #expect(try scratch.save().split(separator: "\n").map(String.init) == beforeLines)
            #expect(try scratch.forwarding() == forwardingBefore)
        }
    }

    @Test(arguments: Paths.policyNames, Backend.allCases)
    func eachPolicyCommitsItsGoldenRules(_ name: String, _ backend: Backend) throws {
        let policy = try PolicyFile.decode(Data(contentsOf: Paths.policies.appendingPathComponent("\(name).json")))
        let family = policy.gateways[0].family
        let expected = try String(contentsOf: Paths.policies.appendingPathComponent("\(name).rules"), encoding: .utf8)
        try Scratch.with(family, backend: backend) { scratch in
            let natgate = scratch.controller
            try natgate.apply(policy.gatewaySet())
            let committed = try scratch.saveAll()
            let comparison = try GoldenRules.compare(expected: expected, actual: committed, family: family)
            #expect(comparison.isMatch, "\(comparison)")
            #expect(try natgate.apply(policy.gatewaySet()).outcome == .unchanged)
            #expect(try scratch.saveAll() == committed)
            #expect(try natgate.status().families.first { $0.family == family }?.gateways.map(\.gateway) == policy.gatewaySet().gateways)
            try natgate.flush()
            #expect(try GoldenRules.check(try scratch.save(), family: family).unreachableChains.isEmpty)
            #expect(!(try scratch.save()).contains("NATGATE"))
            #expect(try scratch.saveSets() == "", "flush leaves no natgate set")
        }
    }

    /// The same policies with a rule set per gateway (a store without ip sets).
    @Test(arguments: Paths.policyNames)
    func eachPolicyCommitsItsPerRuleGoldenRules(_ name: String) throws {
        let policy = try PolicyFile.decode(Data(contentsOf: Paths.policies.appendingPathComponent("\(name).json")))
        let family = policy.gateways[0].family
        let expected = try String(contentsOf: Paths.policies.appendingPathComponent("per-rule/\(name).rules"), encoding: .utf8)
        try Scratch.with(family) { scratch in
            let natgate = scratch.perRuleController
            try natgate.apply(policy.gatewaySet())
            let comparison = try GoldenRules.compare(expected: expected, actual: try scratch.save(), family: family)
            #expect(comparison.isMatch, "\(comparison)")
            #expect(try scratch.saveSets() == "")
            try natgate.flush()
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }

    @Test(arguments: Backend.allCases)
    func countersOfRulesThatStaySurviveAnotherEnable(_ backend: Backend) throws {
        let golden = try String(contentsOf: Paths.policies.appendingPathComponent("per-rule/default.rules"), encoding: .utf8)
        let withCounters = golden.replacingOccurrences(of: "-A NATGATE-POSTROUTING -s", with: "[5:300] -A NATGATE-POSTROUTING -s")
        try Scratch.with(backend: backend) { scratch in
            let result = try scratch.namespace.run([scratch.restore, "-c"], input: withCounters)
            try #require(result.status == 0, "\(result.standardError)")
            let natgate = scratch.perRuleController
            #expect(try natgate.status().families[0].gateways.first?.natPackets == 5)
            try natgate.enable(Gateway(subnet: IPNetwork("10.250.9.0/24"), uplink: InterfaceName("eth0")))
            let status = try natgate.status()
            #expect(status.families[0].gateways.map(\.natPackets) == [5, 0])
            #expect(status.families[0].gateways.map(\.natBytes) == [300, 0])
            #expect(try scratch.namespace.shell("\(scratch.saveCommand) -c -t nat").contains("[5:300] -A NATGATE-POSTROUTING -s 10.200.1.0/24"))
        }
    }

    /// A default gateway an earlier natgate enabled has no DROP: `status` reports it as drift,
    /// and the next `enable` adds only the DROP, keeping the other rules and their counters.
    @Test(arguments: Backend.allCases)
    func aGatewayFromBeforeTheDropGainsItOnTheNextEnable(_ backend: Backend) throws {
        let golden = try String(contentsOf: Paths.policies.appendingPathComponent("per-rule/default.rules"), encoding: .utf8)
        let dropLine = try #require(golden.split(separator: "\n").first { $0.hasSuffix("! --ctstate DNAT -j DROP") }.map(String.init))
        // What natgate wrote before the DROP came: no DROP, and the short tag of subnet and uplink.
        let old = golden.replacingOccurrences(of: dropLine + "\n", with: "")
            .replacingOccurrences(of: "\"natgate enable 10.200.1.0/24 eth0\"", with: "\"natgate 10.200.1.0/24 eth0\"")
            .replacingOccurrences(of: "-A NATGATE-FORWARD -d", with: "[7:420] -A NATGATE-FORWARD -d")
        try Scratch.with(backend: backend) { scratch in
            let result = try scratch.namespace.run([scratch.restore, "-c"], input: old)
            try #require(result.status == 0, "\(result.standardError)")
            let natgate = scratch.perRuleController
            let status = try natgate.status()
            #expect(status.families[0].gateways.map(\.gateway) == [try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))])
            #expect(status.hasDrift)

            let report = try natgate.enable(Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0")))
            #expect(report.outcome == .changed)
            #expect(!(try natgate.status().hasDrift))
            let comparison = try GoldenRules.compare(expected: golden, actual: try scratch.save(), family: .ipv4)
            #expect(comparison.isMatch, "\(comparison)")
        }
    }

    @Test(arguments: Backend.allCases)
    func applyReplacesGateways(_ backend: Backend) throws {
        try Scratch.with(backend: backend) { scratch in
            let natgate = scratch.controller
            let a = try Gateway(subnet: IPNetwork("10.250.1.0/24"), uplink: InterfaceName("eth0"))
            let b = try Gateway(subnet: IPNetwork("10.250.2.0/24"), uplink: InterfaceName("eth0"))
            let c = try Gateway(subnet: IPNetwork("10.250.3.0/24"), uplink: InterfaceName("eth1"))
            try natgate.apply(GatewaySet([a, b]))
            let report = try natgate.apply(GatewaySet([b, c]))
            #expect(report.outcome == .changed)
            let status = try natgate.status()
            #expect(status.families[0].gateways.map(\.gateway) == [b, c])
            #expect(!status.hasDrift)
        }
    }
}
