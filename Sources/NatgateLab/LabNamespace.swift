import Foundation
import NatgateKernel
#if canImport(Glibc)
import Glibc
#endif

/// A named network namespace the lab created with `ip netns add`, which it removes again.
///
/// Names are unique per process and run (`natgate-lab-PID-N-ROLE`), so tests running in parallel
/// never share a namespace. Every namespace this process creates is remembered until it is removed,
/// so that a signal handler can remove them all (``removeAllCreated()``), and a later run removes
/// those a crashed process left behind (``removeAbandoned()``).
public struct LabNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The name under `/run/netns`.
    public let name: String

    /// The prefix of every name the lab gives; nothing else is ever removed by the lab.
    public static let namePrefix = "natgate-lab-"

    private static let created = LockedBox(Set<String>())
    private static let counter = LockedBox(0)
    private static let lifecycle = NSLock()
    nonisolated(unsafe) private static var closed = false

    /// A fresh name for a namespace of this process playing `role` (`host`, `outside`, `ns1`).
    public static func uniqueName(role: String) -> String {
        let serial = counter.withValue { value -> Int in
            value += 1
            return value
        }
        return "\(namePrefix)\(getpid())-\(serial)-\(role)"
    }

    /// Creates namespace `name` with its loopback interface up.
    ///
    /// Equivalent to `ip netns add NAME && ip -n NAME link set lo up`.
    public static func create(_ name: String) throws -> LabNamespace {
        // Creation and the last-resort removal exclude each other, so a signal arriving while
        // `ip netns add` runs cannot remove the name first and leave the namespace behind.
        try lifecycle.withLock {
            guard !closed else {
                throw LabError(operation: "ip netns add \(name)", "the lab is shutting down (interrupted); no namespace is created any more")
            }
            try LabCommand.run(["ip", "netns", "add", name])
            created.withValue { _ = $0.insert(name) }
        }
        let namespace = LabNamespace(name: name)
        do {
            try namespace.ip("link", "set", "lo", "up")
        } catch {
            namespace.remove()
            throw error
        }
        return namespace
    }

    private init(name: String) { self.name = name }

    /// Runs `ip -n NAME ARGUMENTS…` and returns what it printed.
    @discardableResult
    public func ip(_ arguments: String...) throws -> String {
        try LabCommand.run(["ip", "-n", name] + arguments)
    }

    /// Runs a command inside this namespace (`ip netns exec NAME COMMAND…`) and returns what it printed.
    @discardableResult
    public func exec(_ command: [String]) throws -> String {
        try LabCommand.run(["ip", "netns", "exec", name] + command)
    }

    /// Sends one ICMP echo request from this namespace to `address` with `ping` (iputils) and
    /// returns whether a reply came within `timeout`.
    ///
    /// Equivalent to `ip netns exec NAME ping -c 1 -W SECONDS ADDRESS`.
    public func ping(_ address: String, timeout: Duration = .seconds(2)) throws -> Bool {
        let seconds = max(1, timeout.components.seconds + (timeout.components.attoseconds > 0 ? 1 : 0))
        let result = try LabCommand.execute(["ip", "netns", "exec", name, "ping", "-n", "-q", "-c", "1", "-W", "\(seconds)", address])
        switch result.status {
        case 0: return true
        case 1: return false  // ping ran, no reply came
        default:
            throw LabError(
                operation: "ip netns exec \(name) ping \(address)",
                "exited with status \(result.status): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)) (is iputils-ping installed? Scripts/install-deps installs it)")
        }
    }

    /// Sets a sysctl of this namespace, such as `net/ipv6/conf/all/accept_dad`, by writing its
    /// `/proc/sys` file from a thread inside the namespace.
    public func setSysctl(_ key: String, to value: String) throws {
        let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
        try perform {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw LabError(operation: "open \(path) in \(name)", String(cString: strerror(errno)))
            }
            defer { close(fd) }
            let bytes = Array((value + "\n").utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count else {
                throw LabError(operation: "write \(value) to \(path) in \(name)", String(cString: strerror(errno)))
            }
        }
    }

    /// Reads a sysctl of this namespace, such as `net.ipv4.ip_forward`.
    public func sysctl(_ key: String) throws -> String {
        let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
        return try perform {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw LabError(operation: "read \(path) in \(name)", "the sysctl is missing in this kernel")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Runs `body` on a new thread that has joined this namespace, waits for it and returns its
    /// result. The rest of the process stays where it is. Sockets `body` opens belong to this
    /// namespace for their whole life, whichever thread uses them later.
    public func perform<Result>(_ body: () throws -> Result) throws -> Result {
        try NetworkNamespace.named(name).run(body)
    }

    /// Removes the namespace (`ip netns delete NAME`); its interfaces go with it. Removing one that
    /// is already gone does nothing. Never throws: it runs on the way out of failures.
    public func remove() {
        _ = try? LabCommand.execute(["ip", "netns", "delete", name])
        Self.created.withValue { _ = $0.remove(name) }
    }

    public var description: String { name }

    /// Removes every namespace this process created and has not removed yet: for signal handlers
    /// and other last-resort paths.
    ///
    /// Waits for a creation under way to finish, and refuses any later one.
    public static func removeAllCreated() {
        lifecycle.withLock {
            closed = true
            for name in created.value.sorted() {
                LabNamespace(name: name).remove()
            }
        }
    }

    /// Removes lab namespaces left behind by processes that no longer run (a test run killed
    /// mid-way), recognised by the lab's name prefix and a process id that is gone.
    public static func removeAbandoned() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return }
        for name in names where name.hasPrefix(namePrefix) {
            let rest = name.dropFirst(namePrefix.count)
            guard let pidText = rest.split(separator: "-").first, let pid = pid_t(pidText), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                LabNamespace(name: name).remove()
            }
        }
    }
}
