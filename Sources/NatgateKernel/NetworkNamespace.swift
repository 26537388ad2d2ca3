import CIPTC
import Glibc
import NatgateModel

/// A network namespace natgate works in: the calling thread's own (`current`), or a named one
/// created with `ip netns add NAME` (a file under `/run/netns`).
///
/// `run` executes work inside the namespace on a dedicated new thread that enters it with
/// `setns(2)` and ends when the work is done, so the rest of the process, including the calling
/// thread, never moves. Everything the kernel backend does for one operation (the socket libiptc
/// opens in `iptc_init` belongs to the namespace of the thread that opens it) happens inside one
/// `run`.
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The namespace file, or nil for the calling thread's namespace.
    public let path: String?

    /// The calling thread's own namespace: `run` executes in place.
    public static let current = NetworkNamespace(path: nil)

    private init(path: String?) { self.path = path }

    /// The namespace `ip netns add NAME` created: `/run/netns/NAME`.
    public static func named(_ name: String) throws(KernelError) -> NetworkNamespace {
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != ".", name != "..",
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw KernelError(.invalidNamespaceName, "\(ModelError.quote(name)) is not a namespace name: give the name `ip netns list` shows.")
        }
        return NetworkNamespace(path: "/run/netns/\(name)")
    }

    /// A namespace by name, or `current` for nil: what a `--netns NAME` option gives.
    public static func named(_ name: String?) throws(KernelError) -> NetworkNamespace {
        guard let name else { return .current }
        return try named(name)
    }

    /// A namespace by the path of its file (`/run/netns/NAME`, `/proc/PID/ns/net`).
    public static func file(_ path: String) -> NetworkNamespace { NetworkNamespace(path: path) }

    /// The namespace's name when it lives under /run/netns.
    public var name: String? {
        guard let path, path.hasPrefix("/run/netns/") else { return nil }
        return String(path.dropFirst("/run/netns/".count))
    }

    public var description: String { name ?? path ?? "the current network namespace" }

    /// Runs `body` inside this namespace and returns its result.
    ///
    /// For a named namespace, `body` runs on a new thread that has entered it, and the calling
    /// thread waits for it; for `current`, `body` runs in place. Errors `body` throws come back
    /// unchanged; failing to enter the namespace throws `KernelError` of kind `.namespace`.
    ///
    /// On a thread `run` started for this same namespace (work nested in work of one namespace),
    /// `body` runs in place too: the thread is in the namespace already, and a thread per nested
    /// call would cost a thread's start for nothing.
    public func run<T>(_ body: () throws -> T) throws -> T {
        guard let path else { return try body() }
        if NamespaceWork<T>.enteredByThisThread == path { return try body() }
        return try withoutActuallyEscaping(body) { body in
            let work = NamespaceWork<T>(path: path, body: body)
            try work.runOnNewThread()
            return try work.result!.get()
        }
    }

    /// Runs `body` inside the namespace `ip netns add NAME` created, or in place for nil.
    public static func run<T>(named name: String?, _ body: () throws -> T) throws -> T {
        try NetworkNamespace.named(name).run(body)
    }
}

/// The namespace path a namespace thread entered, in a thread-specific slot: a `String` box the
/// thread owns while its work runs.
private let enteredPathKey: pthread_key_t = {
    var key = pthread_key_t()
    let created = pthread_key_create(&key, nil)
    precondition(created == 0, "pthread_key_create failed (\(created)): no thread-specific slot for namespace threads")
    return key
}()

private final class EnteredPath {
    let path: String
    init(_ path: String) { self.path = path }
}

/// One piece of work for a namespace thread. The caller waits for the thread to end before it
/// reads `result`, so nothing here is touched by two threads at once.
private final class NamespaceWork<T>: @unchecked Sendable {
    /// The namespace the calling thread entered for its work, nil on any other thread.
    static var enteredByThisThread: String? {
        pthread_getspecific(enteredPathKey).map { Unmanaged<EnteredPath>.fromOpaque($0).takeUnretainedValue().path }
    }

    let path: String
    let body: () throws -> T
    var result: Result<T, any Error>?

    init(path: String, body: @escaping () throws -> T) {
        self.path = path
        self.body = body
    }

    func runOnNewThread() throws(KernelError) {
        let created = runOnJoinedThread { self.enterAndRun() }
        guard created == 0 else {
            throw KernelError(.namespace, "Could not start a thread to enter network namespace \(path).",
                              operation: .init(call: "pthread_create"), errno: created)
        }
    }

    /// On the new thread: enter the namespace, then run the work. The thread ends afterwards,
    /// so it never runs anything else in the namespace.
    private func enterAndRun() {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            let hint = code == ENOENT
                ? "There is no network namespace at \(path): check the name with `ip netns list`."
                : "Could not open network namespace \(path)\(code == EACCES || code == EPERM ? ": natgate needs root to enter it" : "")."
            // A name with no namespace behind it is bad input, like a name that cannot be one.
            result = .failure(KernelError(code == ENOENT ? .invalidNamespaceName : .namespace, hint, operation: .init(call: "open"), errno: code))
            return
        }
        let entered = setns(fd, Int32(CLONE_NEWNET))
        let code = errno
        close(fd)
        guard entered == 0 else {
            let hint = code == EPERM
                ? "Entering network namespace \(path) needs root (CAP_SYS_ADMIN)."
                : "Could not enter network namespace \(path): is it a network namespace file?"
            result = .failure(KernelError(.namespace, hint, operation: .init(call: "setns"), errno: code))
            return
        }
        let slot = Unmanaged.passRetained(EnteredPath(path))
        pthread_setspecific(enteredPathKey, slot.toOpaque())
        result = Result { try body() }
        pthread_setspecific(enteredPathKey, nil)
        slot.release()
    }
}

/// The work of a thread `runOnJoinedThread` starts.
private final class ThreadWork: @unchecked Sendable {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}

private func threadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().work()
    return nil
}

/// Runs `work` on a new thread and waits for it to end; returns pthread_create's result.
private func runOnJoinedThread(_ work: @escaping () -> Void) -> Int32 {
    let context = Unmanaged.passRetained(ThreadWork(work)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, threadMain, context)
    guard created == 0 else {
        Unmanaged<ThreadWork>.fromOpaque(context).release()
        return created
    }
    pthread_join(thread, nil)
    return 0
}
