import Foundation
import Logging
import NatgateModel
import NatgateSysctl
import Natgate
import NatgateEngine
import NatgateLab

// Kernel tests: every one runs in a network namespace it creates and removes (ThrowawayNamespace),
// preloaded with iptables-legacy-restore, and checks the kernel with iptables-legacy-save, the
// independent oracle.

/// One throwaway namespace with what a test needs around it.
struct Scratch {
    let namespace: ThrowawayNamespace
    let family: Family
    let state: String
    /// The backend the scratch's tables are loaded into, checked in and changed on: the legacy
    /// tables (iptables-legacy-restore/-save) or iptables-nft's tables in nf_tables
    /// (iptables-nft-restore/-save).
    var backend: Backend = .legacy

    /// `iptables-legacy`, `ip6tables-nft`, …: the tool of the scratch's family and backend.
    var iptables: String { (family == .ipv4 ? "iptables-" : "ip6tables-") + backend.rawValue }
    var restore: String { iptables + "-restore" }
    var saveCommand: String { iptables + "-save" }
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

    /// `ipset save` without what the kernel picks at random or by size: `create NAME TYPE family
    /// F`, then the `add` lines sorted, as `GoldenRules` and `natgate render` print sets.
    func saveSets() throws -> String {
        let result = try namespace.run(["ipset", "save"])
        var creates: [String] = []
        var adds: [String: [String]] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.first == "create", words.count >= 5 { creates.append(words[0..<5].joined(separator: " ")) }
            if words.first == "add", words.count >= 3 { adds[String(words[1]), default: []].append(String(line)) }
        }
        return creates.sorted().flatMap { create -> [String] in
            let name = String(create.split(separator: " ")[1])
            return [create] + (adds[name] ?? []).sorted()
        }.map { $0 + "\n" }.joined()
    }

    /// `saveSets()` then `save()`: the whole text natgate's golden files hold.
    func saveAll() throws -> String { try saveSets() + save() }

    func forwarding() throws -> String { try namespace.shell("cat \(forwardingPath)").trimmingCharacters(in: .whitespacesAndNewlines) }

    var controller: GatewayController { controller(usesIPSets: true) }

    /// A controller on the scratch's backend; `usesIPSets` false gives every gateway rules of its
    /// own (the datapath of stores without ip sets).
    func controller(usesIPSets: Bool) -> GatewayController {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let store: any RuleStore = switch backend {
        case .legacy: KernelRuleStore(namespace: namespace.namespace, logger: logger, usesIPSets: usesIPSets)
        case .nft: NFTablesRuleStore(namespace: namespace.namespace, logger: logger, intentLog: ChangeIntentLog(directory: state), usesIPSets: usesIPSets)
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
        return try namespace.run(prefix + [NatgateBinary.path] + arguments, environment: backend.merging(environment) { $1 })
    }

    static func with<T>(_ family: Family = .ipv4, backend: Backend = .legacy, _ body: (Scratch) throws -> T) throws -> T {
        let state = NSTemporaryDirectory() + "natgate-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        return try ThrowawayNamespace.with(prefix: "natgate-gw") { namespace in
            try body(Scratch(namespace: namespace, family: family, state: state, backend: backend))
        }
    }
}
