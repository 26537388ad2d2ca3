import Foundation
import Logging
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import Testing
@testable import Natgate
@testable import NatgateEngine

@Suite struct ControllerTests {
    /// `GatewayController(store: MemoryRuleStore(…))`, the no-root way to see what natgate would
    /// do, wrote the real ip_forward and a state file: a memory store leaves the host alone.
    @Test func aControllerOverMemoryTouchesNoSysctlAndNoStateFile() throws {
        let store = try dockerHost()
        let natgate = GatewayController(store: store, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(natgate.forwarding == nil)
        let report = try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        #expect(report.outcome == .changed)
        #expect(report.forwarding.isEmpty, "\(report.forwarding)")
        #expect(try natgate.disable(Gateway.Key(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))).forwarding.isEmpty)
        // The kernel's store still manages forwarding by default.
        #expect(GatewayController(store: KernelRuleStore(logger: natgate.logger), logger: natgate.logger).forwarding != nil)
    }

    @Test func enableCommitsNatThenFilterAndTwiceIsOnce() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let first = try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        #expect(first.outcome == .changed)
        #expect(store.commits.map(\.1) == [.nat, .filter])
        let afterOnce = store.ruleset(.ipv4)
        let second = try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        #expect(second.outcome == .unchanged)
        #expect(second.plan.isEmpty)
        #expect(store.commits.count == 2)
        #expect(store.ruleset(.ipv4) == afterOnce)
    }

    @Test func disableCommitsFilterThenNatAndRestoresTheHostExactly() throws {
        let store = try dockerHost()
        let before = store.ruleset(.ipv4)
        let natgate = controller(store)
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        let report = try natgate.disable(gateway("10.200.1.0/24", "eth0").key)
        #expect(report.outcome == .changed)
        #expect(store.commits.map(\.1) == [.nat, .filter, .filter, .nat])
        #expect(store.ruleset(.ipv4) == before)
        #expect(store.ruleset(.ipv4).saveText() == before.saveText())
    }

    @Test func disablingAnAbsentGatewaySaysSoAndChangesNothing() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        let report = try natgate.disable(gateway("10.200.1.0/24", "eth0").key)
        #expect(report.outcome == .absent)
        #expect(report.message.contains("No gateway 10.200.1.0/24 eth0"))
        #expect(store.commits.isEmpty)
        try natgate.enable(gateway("10.200.1.0/24", "wlan0"))
        let other = try natgate.disable(gateway("10.200.1.0/24", "eth0").key)
        #expect(other.outcome == .absent)
        #expect(other.message.contains("wlan0"))
    }

    @Test func conflictsAreBadInputAndChangeNothing() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        try natgate.enable(gateway("10.200.0.0/16", "eth0"))
        let before = store.ruleset(.ipv4)
        let commits = store.commits.count
        let error = try #require(throws: NatgateError.self) { try natgate.enable(gateway("10.200.1.0/24", "eth1")) }
        #expect(error.exitCode == 2)
        #expect(error.message.contains("10.200.0.0/16") && error.message.contains("10.200.1.0/24"))
        #expect(store.ruleset(.ipv4) == before)
        #expect(store.commits.count == commits)
    }

    @Test func applyConvergesAndTwiceIsOnce() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        try natgate.enable(gateway("10.200.9.0/24", "eth0"))
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("10.200.2.0/24", "eth0", via: "v-eth2")])
        let first = try natgate.apply(set)
        #expect(first.outcome == .changed)
        #expect(first.gateways == set.gateways)
        // Adds and removes: nat to the gateways before and after, filter to those after, nat to them.
        #expect(store.commits.suffix(3).map(\.1) == [.nat, .filter, .nat])
        let snapshot = store.ruleset(.ipv4)
        let second = try natgate.apply(set)
        #expect(second.outcome == .unchanged)
        #expect(store.ruleset(.ipv4) == snapshot)
        #expect(try natgate.status().families[0].gateways.map(\.gateway) == set.gateways)
    }

    @Test func planThenEnableChangesExactlyWhatThePlanSaid() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        let before = store.ruleset(.ipv4)
        let wanted = try gateway("10.200.2.0/24", "eth0", snatTo: "198.51.100.2")
        let plan = try natgate.plan(.enable(wanted))
        #expect(store.ruleset(.ipv4) == before)
        let report = try natgate.enable(wanted)
        #expect(report.plan == plan)
        // The plan's lines are exactly the lines that changed.
        for name in [TableName.nat, .filter] {
            let diff = TableDiff.lines(from: before[table: name]!, to: store.ruleset(.ipv4)[table: name]!)
            #expect(diff == (plan.tables.first { $0.table == name }?.lines ?? []))
        }
        #expect(plan.tables.flatMap(\.added).contains { $0.contains("SNAT --to-source 198.51.100.2") })
        #expect(try natgate.plan(.enable(wanted)).isEmpty)
    }

    @Test func flushRemovesEverythingNatgateOwnsDriftIncluded() throws {
        let store = try dockerHost()
        let before = store.ruleset(.ipv4)
        let natgate = controller(store)
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        try store.update(.ipv4, tables: [.filter]) { tables in
            tables[.filter]![chain: OwnedChains.forward]!.rules.append(Rule(target: .drop))
        }
        #expect(try natgate.status().hasDrift)
        try natgate.flush()
        #expect(store.ruleset(.ipv4) == before)
        #expect(try natgate.flush().outcome == .unchanged)
    }

    @Test func statusReportsDriftAndNATCounters() throws {
        let store = try dockerHost()
        let natgate = controller(store)
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        try store.update(.ipv4, tables: [.nat, .filter]) { tables in
            tables[.nat]![chain: OwnedChains.postrouting]!.rules[0].counters = Counters(packets: 3, bytes: 180)
            tables[.filter]![chain: .forward]!.rules.removeFirst()
        }
        let status = try natgate.status()
        let v4 = status.families[0]
        #expect(v4.gateways.first?.natPackets == 3)
        #expect(v4.gateways.first?.natBytes == 180)
        #expect(v4.drift.count == 1)
        #expect(status.hasDrift)
        // Enabling again repairs the drift.
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        #expect(!(try natgate.status().hasDrift))
        #expect(try natgate.status().families[0].gateways.first?.natPackets == 3)
    }

    @Test func forwardingIsTurnedOnAndPutBack() throws {
        let sysctl = try FakeSysctl()
        let store = try dockerHost()
        let natgate = controller(store, sysctl)
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        try natgate.enable(gateway("10.200.2.0/24", "eth0"))
        #expect(try sysctl.value(.ipv4Forward) == "1")
        #expect(try sysctl.value(.ipv6Forward) == "0")
        try natgate.disable(gateway("10.200.1.0/24", "eth0").key)
        #expect(try sysctl.value(.ipv4Forward) == "1")
        try natgate.disable(gateway("10.200.2.0/24", "eth0").key)
        #expect(try sysctl.value(.ipv4Forward) == "0")
    }

    @Test func forwardingThatWasOnStaysOnAndNoSysctlLeavesItAlone() throws {
        let on = try FakeSysctl(ipv4: "1")
        let natgate = controller(try dockerHost(), on)
        try natgate.enable(gateway("10.200.1.0/24", "eth0"))
        try natgate.disable(gateway("10.200.1.0/24", "eth0").key)
        #expect(try on.value(.ipv4Forward) == "1")

        let off = try FakeSysctl()
        let alone = controller(try dockerHost(), nil)
        try alone.enable(gateway("10.200.1.0/24", "eth0"))
        #expect(try off.value(.ipv4Forward) == "0")
    }

    @Test func aFailedSecondFamilyPutsTheFirstBack() throws {
        let memory = try dockerHost()
        let before = memory.ruleset(.ipv4)
        let natgate = controller(FailingStore(memory, failing: .ipv6, afterUpdates: 0))
        let set = try GatewaySet([gateway("10.200.1.0/24", "eth0"), gateway("fd00:200:1::/64", "eth0")])
        let error = try #require(throws: NatgateError.self) { try natgate.apply(set) }
        #expect(error.exitCode == 3)
        #expect(memory.ruleset(.ipv4) == before)
    }

    @Test func aForwardingFailurePutsTheRulesBack() throws {
        let sysctl = try FakeSysctl(ipv6: nil)  // no IPv6 forwarding key: IPv6 disabled
        let store = try dockerHost()
        let natgate = controller(store, sysctl)
        let error = try #require(throws: NatgateError.self) { try natgate.enable(gateway("fd00:200:1::/64", "eth0")) }
        #expect(error.exitCode == 3)
        #expect(error.message.contains("forwarding"))
        #expect(store.ruleset(.ipv6).tables.allSatisfy { $0 == Table.empty($0.name, family: .ipv6) })
    }
}
