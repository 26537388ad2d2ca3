#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whether the tests may create network namespaces (root, or CAP_SYS_ADMIN).
let canCreateNamespaces: Bool = geteuid() == 0

struct NamespaceFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs `body` on a thread of its own that first moves into a new, empty network namespace.
///
/// Only that thread changes namespace; the namespace disappears when the thread ends. Nothing runs
/// in the namespace the test process started in.
func inThrowawayNamespace<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    nonisolated(unsafe) var result: Result<T, any Error> = .failure(NamespaceFailure(description: "the namespace thread did not run"))
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        defer { done.signal() }
        guard unshareNetwork() == 0 else {
            result = .failure(NamespaceFailure(description: "unshare(CLONE_NEWNET) failed: \(String(cString: strerror(errno)))"))
            return
        }
        result = Result { try body() }
    }
    thread.start()
    done.wait()
    return try result.get()
}

/// A fresh directory under /tmp, removed by the caller.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/natgate-sysctl-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw NamespaceFailure(description: "mkdtemp failed") }
    return String(cString: path)
}

/// `unshare(CLONE_NEWNET)`, looked up at run time: Glibc's module map leaves `unshare` out
/// (it is declared only under _GNU_SOURCE).
private func unshareNetwork() -> Int32 {
    typealias Unshare = @convention(c) (Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else {
        errno = ENOSYS
        return -1
    }
    let cloneNewNet: Int32 = 0x4000_0000  // CLONE_NEWNET, <linux/sched.h>
    return unsafeBitCast(symbol, to: Unshare.self)(cloneNewNet)
}
