import Foundation
import NatgateKernel
import Synchronization

// Public so that the test suites of every module, the benchmarks (and projects embedding natgate)
// can run kernel-touching tests in a namespace of their own. Nothing in natgate's products uses it.

/// A network namespace made for one test and always removed afterwards (`ip netns add
/// natgate-test-<pid>-<n>` / `ip netns del`), so that tests never touch the namespace they
/// started in.
///
/// ```swift
/// @Test(.enabled(if: ThrowawayNamespace.isSupported, Comment(rawValue: ThrowawayNamespace.unsupportedReason ?? "")))
/// func aRuleAddedByIptablesReadsBack() throws {
///     try ThrowawayNamespace.with { scratch in
///         try scratch.shell("iptables-legacy -t nat -A POSTROUTING -o eth0 -j MASQUERADE")
///         let table = try KernelBackend(family: .ipv4, namespace: scratch.namespace).read(.nat)
///         #expect(table[chain: .postrouting]?.rules.count == 1)
///     }
/// }
/// ```
public final class ThrowawayNamespace: Sendable {
    /// The name under /run/netns.
    public let name: String
    /// The namespace, for `KernelBackend(namespace:)` and `NetworkNamespace.run`.
    public let namespace: NetworkNamespace
    private let removed = Mutex(false)

    private static let counter = Atomic<Int>(0)

    /// Why kernel tests cannot run here, or nil when they can: they need root, `ip` and `iptables-legacy`.
    public static var unsupportedReason: String? {
        if getuid() != 0 { return "needs root: kernel tests create network namespaces (run the tests as root, e.g. `sudo swift test`)" }
        for tool in ["ip", "iptables-legacy", "ip6tables-legacy"] where findExecutable(tool) == nil {
            return "needs `\(tool)` (Debian: apt-get install iproute2 iptables)"
        }
        return nil
    }

    /// Whether kernel tests can run here; see `unsupportedReason`.
    public static var isSupported: Bool { unsupportedReason == nil }

    /// Creates a new namespace `PREFIX-<pid>-<n>` with its loopback up.
    public init(prefix: String = "natgate-test") throws {
        let number = ThrowawayNamespace.counter.wrappingAdd(1, ordering: .relaxed).newValue
        name = "\(prefix)-\(getpid())-\(number)"
        namespace = try NetworkNamespace.named(name)
        let result = try ThrowawayNamespace.execute(["ip", "netns", "add", name])
        guard result.status == 0 else {
            throw LabError(operation: "ip netns add \(name)", "exited with status \(result.status): \(result.standardError)")
        }
        _ = try? ThrowawayNamespace.execute(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
    }

    deinit { remove() }

    /// Deletes the namespace; later calls do nothing.
    public func remove() {
        let first = removed.withLock { done in
            defer { done = true }
            return !done
        }
        if first { _ = try? ThrowawayNamespace.execute(["ip", "netns", "del", name]) }
    }

    /// Runs `body` with a new namespace and deletes it afterwards, also when `body` throws.
    @discardableResult
    public static func with<T>(prefix: String = "natgate-test", _ body: (ThrowawayNamespace) throws -> T) throws -> T {
        let scratch = try ThrowawayNamespace(prefix: prefix)
        defer { scratch.remove() }
        return try body(scratch)
    }

    /// The outcome of a command run in the namespace.
    public typealias CommandResult = ChildProcess.Output

    /// Runs `arguments` inside the namespace (`ip netns exec NAME …`), with `input` on standard input.
    @discardableResult
    public func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        try ThrowawayNamespace.execute(["ip", "netns", "exec", name] + arguments, input: input, environment: environment)
    }

    /// Runs a command line through `/bin/sh -c` inside the namespace and throws when it exits non-zero.
    @discardableResult
    public func shell(_ command: String, input: String? = nil, environment: [String: String] = [:]) throws -> String {
        let result = try run(["/bin/sh", "-c", command], input: input, environment: environment)
        guard result.status == 0 else {
            throw LabError(operation: "\(command) (in namespace \(name))", "exited with status \(result.status): \(result.standardError)")
        }
        return result.standardOutput
    }

    /// Runs a program (found on PATH or in sbin) in the process's own namespace and collects its
    /// output, with ``ChildProcess``; `environment` is added to this process's own.
    public static func execute(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        return try ChildProcess.run(arguments, input: input, environment: env)
    }

    static func findExecutable(_ name: String) -> String? { ChildProcess.locate(name) }
}
