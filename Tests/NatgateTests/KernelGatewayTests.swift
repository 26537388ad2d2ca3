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

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let hosts = root.appendingPathComponent("Fixtures/hosts")
    static let policies = root.appendingPathComponent("Fixtures/policies")
    static let binary = root.appendingPathComponent(".build/debug/natgate").path

    static var hostNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: hosts.path)) ?? [])
            .filter { $0.hasSuffix(".canonical") }.map { String($0.dropLast(".canonical".count)) }.sorted()
    }

    static var policyNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: policies.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func family(ofHost name: String) -> Family { name.hasSuffix("-v6") ? .ipv6 : .ipv4 }
}

/// One throwaway namespace with what a test needs around it, on one backend: the legacy tables
/// (loaded and checked with iptables-legacy-restore/-save) or iptables-nft's tables in nf_tables
/// (iptables-nft-restore/-save).
struct Scratch {
    let namespace: ThrowawayNamespace
    let family: Family
    let state: String
    var backend: Backend = .legacy

    /// `iptables-legacy`, `ip6tables-nft`, …: the tool of the scratch's family and backend.
    var iptables: String { (family == .ipv4 ? "iptables-" : "ip6tables-") + backend.rawValue }
    private var tool: String { iptables }
    var restore: String { tool + "-restore" }
    var saveCommand: String { tool + "-save" }
    var forwardingPath: String { "/proc/sys/" + SysctlKey.forwarding(family).relativePath }

    func load(_ text: String) throws {
        let result = try namespace.run([restore], input: text)
        guard result.status == 0 else { throw NatgateError(.system, "\(restore) failed: \(result.standardError)") }
    }

    /// iptables-legacy-save's output without its `#` lines.
    func save() throws -> String {
        let result = try namespace.run([saveCommand])
        return result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }

    func forwarding() throws -> String { try namespace.shell("cat \(forwardingPath)").trimmingCharacters(in: .whitespacesAndNewlines) }

    var controller: GatewayController {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let store: any RuleStore = switch backend {
        case .legacy: KernelRuleStore(namespace: namespace.namespace, logger: logger)
        case .nft: NFTablesRuleStore(namespace: namespace.namespace, logger: logger, intentLog: ChangeIntentLog(directory: state))
        }
        var controller = GatewayController(store: store, forwarding: Forwarding(directory: state), logger: logger)
        controller.compiler.iptablesVariant = backend.rawValue
        return controller
    }

    /// Runs the built `natgate` binary inside the namespace.
    func natgate(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = []) throws -> ThrowawayNamespace.CommandResult {
        // A scratch on nft asks for it (auto would take legacy on a bare namespace); on legacy,
        // auto is left to choose, as on a host.
        let backend = self.backend == .nft ? ["NATGATE_BACKEND": "nft"] : [:]
        return try namespace.run(prefix + [Paths.binary] + arguments, environment: backend.merging(environment) { $1 })
    }

    static func with<T>(_ family: Family = .ipv4, backend: Backend = .legacy, _ body: (Scratch) throws -> T) throws -> T {
        let state = NSTemporaryDirectory() + "natgate-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        return try ThrowawayNamespace.with(prefix: "natgate-gw") { namespace in
            try body(Scratch(namespace: namespace, family: family, state: state, backend: backend))
        }
    }
}

func tables(_ text: String, _ family: Family) throws -> [TableName: Table] {
    Dictionary(uniqueKeysWithValues: try Ruleset(saveText: text, family: family).tables.map { ($0.name, $0) })
}

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
            let committed = try scratch.save()
            let comparison = try GoldenRules.compare(expected: expected, actual: committed, family: family)
            #expect(comparison.isMatch, "\(comparison)")
            #expect(try natgate.apply(policy.gatewaySet()).outcome == .unchanged)
            #expect(try scratch.save() == committed)
            #expect(try natgate.status().families.first { $0.family == family }?.gateways.map(\.gateway) == policy.gatewaySet().gateways)
            try natgate.flush()
            #expect(try GoldenRules.check(try scratch.save(), family: family).unreachableChains.isEmpty)
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }

    @Test(arguments: Backend.allCases)
    func countersOfRulesThatStaySurviveAnotherEnable(_ backend: Backend) throws {
        let golden = try String(contentsOf: Paths.policies.appendingPathComponent("default.rules"), encoding: .utf8)
        let withCounters = golden.replacingOccurrences(of: "-A NATGATE-POSTROUTING -s", with: "[5:300] -A NATGATE-POSTROUTING -s")
        try Scratch.with(backend: backend) { scratch in
            let result = try scratch.namespace.run([scratch.restore, "-c"], input: withCounters)
            try #require(result.status == 0, "\(result.standardError)")
            let natgate = scratch.controller
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
        let golden = try String(contentsOf: Paths.policies.appendingPathComponent("default.rules"), encoding: .utf8)
        let dropLine = try #require(golden.split(separator: "\n").first { $0.hasSuffix("! --ctstate DNAT -j DROP") }.map(String.init))
        // What natgate wrote before the DROP came: no DROP, and the short tag of subnet and uplink.
        let old = golden.replacingOccurrences(of: dropLine + "\n", with: "")
            .replacingOccurrences(of: "\"natgate enable 10.200.1.0/24 eth0\"", with: "\"natgate 10.200.1.0/24 eth0\"")
            .replacingOccurrences(of: "-A NATGATE-FORWARD -d", with: "[7:420] -A NATGATE-FORWARD -d")
        try Scratch.with(backend: backend) { scratch in
            let result = try scratch.namespace.run([scratch.restore, "-c"], input: old)
            try #require(result.status == 0, "\(result.standardError)")
            let natgate = scratch.controller
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

@Suite(.enabled(if: ThrowawayNamespace.isSupported && FileManager.default.isExecutableFile(atPath: Paths.binary), "needs root and the built natgate binary"), .serialized)
struct CLIGatewayTests {
    @Test(arguments: [
        (["enable", "10.250.1.5/24", "eth0"], "did you mean 10.250.1.0/24"),
        (["enable", "10.250.1.0/24", "abcdefghijklmnop"], "16 bytes"),
        (["enable", "fd00:250:1::/64", "eth0", "--snat-to", "192.0.2.1"], "192.0.2.1"),
        (["enable", "10.250.1.0/24", "eth0", "--inbound", "some"], "'established' or 'all'"),
        (["enable", "10.250.1.0/24", "eth0", "--ports", "0-10"], "port 0"),
        (["disable", "10.250.1.0/33", "eth0"], "10.250.1.0/33"),
        (["apply", "/nonexistent/policy.json"], "policy file: cannot read /nonexistent/policy.json: no such file"),
    ])
    func badInputExits2AndChangesNothing(arguments: [String], message: String) throws {
        try Scratch.with { scratch in
            try scratch.load(String(contentsOf: Paths.hosts.appendingPathComponent("docker.canonical"), encoding: .utf8))
            let before = try scratch.save()
            let forwarding = try scratch.forwarding()
            let result = try scratch.natgate(arguments)
            #expect(result.status == 2)
            #expect(result.standardError.contains(message), "\(result.standardError)")
            #expect(try scratch.save() == before)
            #expect(try scratch.forwarding() == forwarding)
        }
    }

    @Test func renderPrintsTheGoldenRulesOfEachPolicyFixture() throws {
        for name in Paths.policyNames {
            let path = Paths.policies.appendingPathComponent("\(name).json").path
            let expected = try String(contentsOf: Paths.policies.appendingPathComponent("\(name).rules"), encoding: .utf8)
            let v6 = expected.contains("fd00")
            let result = try ThrowawayNamespace.execute([Paths.binary, "render", path] + (v6 ? ["-6"] : []))
            #expect(result.status == 0)
            #expect(result.standardOutput == expected, "natgate render \(name).json")
        }
        let bad = try ThrowawayNamespace.execute([Paths.binary, "render", "/nonexistent.json"])
        #expect(bad.status == 2)
    }

    @Test func aMalformedPolicyFileExits2NamingTheProblem() throws {
        try Scratch.with { scratch in
            let path = scratch.state + "-policy.json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try #"{"version": 1, "gateways": [{"subnet": "10.250.1.0/24", "uplink": "eth0", "snat-to": "1.2.3.4"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
            let before = try scratch.save()
            let result = try scratch.natgate(["apply", path])
            #expect(result.status == 2)
            #expect(result.standardError.contains("\"snat-to\"") && result.standardError.contains("gateways[0]"))
            #expect(try scratch.save() == before)
        }
    }

    @Test func notRootExits3AndChangesNothing() throws {
        try Scratch.with { scratch in
            let before = try scratch.save()
            let result = try scratch.natgate(["enable", "10.250.1.0/24", "eth0"], prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            #expect(result.status == 3, "\(result.standardError)")
            #expect(result.standardError.lowercased().contains("root"), "\(result.standardError)")
            #expect(try scratch.save() == before)
            #expect(try scratch.forwarding() == "0")
        }
    }

    @Test func enableStatusCheckAndDisableThroughTheBinary() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            #expect(try scratch.forwarding() == "0")
            #expect(try scratch.natgate(["status", "--check"], environment: env).status == 0)
            try scratch.namespace.shell("iptables-legacy -t nat -D POSTROUTING -j NATGATE-POSTROUTING")
            let drift = try scratch.natgate(["status", "--check", "--json"], environment: env)
            #expect(drift.status == 1)
            #expect(drift.standardOutput.contains("does not jump"))
            let plan = try scratch.natgate(["plan", "enable", "10.250.1.0/24", "eth0"], environment: env)
            #expect(plan.standardOutput == "# ipv4 nat\n+-A POSTROUTING -j NATGATE-POSTROUTING\n")
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            #expect(try scratch.natgate(["status", "--check"], environment: env).status == 0)
            let absent = try scratch.natgate(["disable", "10.250.9.0/24", "eth0", "--no-sysctl"], environment: env)
            #expect(absent.status == 0)
            #expect(absent.standardOutput.contains("No gateway 10.250.9.0/24 eth0"))
            #expect(try scratch.natgate(["flush"], environment: env).status == 0)
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }
}
