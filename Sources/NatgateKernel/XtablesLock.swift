import Foundation
import Glibc
import Logging

/// The lock every iptables user takes before it reads a table it is going to change:
/// `flock(LOCK_EX)` on `/run/xtables.lock`, or on the file `$XTABLES_LOCKFILE` names.
///
/// The lock is a file, shared by every network namespace of the machine. libiptc itself takes no
/// lock: without it, two writers can silently lose one's change. natgate holds it from the read
/// (`iptc_init`) to the commit, and waits for it at most `timeout`, polling with `LOCK_NB` (as
/// `iptables -w SECONDS` does), rather than forever (as iptables-legacy 1.8.9 does without `-w`).
public struct XtablesLock: Sendable, Hashable {
    /// The lock file.
    public var path: String
    /// How long to wait for another holder before giving up with `KernelError.Kind.lockTimeout`.
    public var timeout: Duration
    /// How often to try again while waiting.
    public var pollInterval: Duration

    /// The lock file iptables uses in this environment: `$XTABLES_LOCKFILE`, else `/run/xtables.lock`.
    public static var defaultPath: String {
        if let value = ProcessInfo.processInfo.environment["XTABLES_LOCKFILE"], !value.isEmpty { return value }
        return "/run/xtables.lock"
    }

    /// Whether the caller already holds the lock (inside `hold`): then taking it again is a no-op.
    public private(set) var isHeldByCaller = false

    /// The lock at `path` (by default `defaultPath`), waiting at most `timeout` for another
    /// holder and trying again every `pollInterval`.
    public init(path: String? = nil, timeout: Duration = .seconds(10), pollInterval: Duration = .milliseconds(10)) {
        self.path = path ?? XtablesLock.defaultPath
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// Takes the lock once and holds it while `body` runs, so that several updates (both tables,
    /// both families, a change made in more than one commit) form one session no other iptables
    /// writer can slip into.
    ///
    /// `body` is given this lock marked as already held: backends configured with it do not take
    /// it again (a second `flock` from the same process on another descriptor would wait for
    /// itself). Use that value only inside `body`.
    public func hold<T>(logger: Logger, _ body: (XtablesLock) throws -> T) throws -> T {
        let held = try acquire(logger: logger)
        defer { held.keepAlive() }
        var inner = self
        inner.isHeldByCaller = true
        return try body(inner)
    }

    /// The lock, held until the value goes away (the file is closed, which releases it); a
    /// negative descriptor stands for a lock the caller holds already.
    struct Held: ~Copyable {
        let descriptor: Int32
        deinit { if descriptor >= 0 { close(descriptor) } }
        /// Marks a use, so the lock is held at least until here.
        func keepAlive() {}
    }

    /// Takes the lock, waiting up to `timeout` for another holder to let go.
    func acquire(logger: Logger) throws(KernelError) -> Held {
        if isHeldByCaller { return Held(descriptor: -1) }
        let descriptor = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            throw KernelError(
                code == EACCES || code == EPERM ? .permissionDenied : .lockFailed,
                "Could not open the xtables lock file \(path)\(code == EACCES || code == EPERM ? " (Permission denied): natgate needs root" : ""). Set XTABLES_LOCKFILE to a writable path only if every iptables user on this host uses the same one.",
                operation: .init(call: "open"), errno: code)
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var waited = false
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                if waited { logger.debug("acquired the xtables lock after waiting", metadata: ["path": "\(path)"]) }
                return Held(descriptor: descriptor)
            }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw KernelError(.lockFailed, "Could not lock the xtables lock file \(path).", operation: .init(call: "flock"), errno: code)
            }
            if clock.now >= deadline {
                let holder = XtablesLock.holder(of: descriptor)
                close(descriptor)
                throw KernelError(
                    .lockTimeout,
                    "Another program has held the xtables lock \(path) for more than \(timeout.secondsDescription)\(holder.map { " (\($0))" } ?? ""). Wait for it to finish and run natgate again, or let natgate wait longer: --wait SECONDS (every verb that changes tables takes it; XtablesLock.timeout in Swift).",
                    operation: .init(call: "flock"), errno: EWOULDBLOCK)
            }
            if !waited {
                waited = true
                logger.info("waiting for the xtables lock", metadata: ["path": "\(path)", "holder": "\(XtablesLock.holder(of: descriptor) ?? "unknown")"])
            }
            let interval = pollInterval.components
            var request = timespec(tv_sec: Int(interval.seconds), tv_nsec: Int(interval.attoseconds / 1_000_000_000))
            nanosleep(&request, nil)
        }
    }

    /// Who holds the lock on the file behind `descriptor`, from /proc/locks: "held by pid N (comm)".
    static func holder(of descriptor: Int32) -> String? {
        var info = stat()
        guard fstat(descriptor, &info) == 0,
              let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        let inode = String(info.st_ino)
        for line in locks.split(separator: "\n") {
            // "1: FLOCK  ADVISORY  WRITE 4242 00:19:1234 0 EOF"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[3] == "WRITE",
                  fields[5].split(separator: ":").last.map(String.init) == inode,
                  let pid = Int32(fields[4]) else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                .split(separator: "\0").joined(separator: " ")
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return "held by pid \(pid)\((command.flatMap { $0.isEmpty ? nil : $0 } ?? comm).map { ": \($0)" } ?? "")"
        }
        return nil
    }
}

extension Duration {
    var secondsDescription: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
