#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NatgateLab

/// Whether the tests may create network namespaces (root, or CAP_SYS_ADMIN).
let canCreateNamespaces: Bool = geteuid() == 0

struct NamespaceFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs `body` on a thread of its own inside a new, empty network namespace (a
/// ``ThrowawayNamespace``), removed again afterwards, also when `body` throws.
///
/// Only that thread changes namespace. Nothing runs in the namespace the test process started in.
func inThrowawayNamespace<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    try ThrowawayNamespace.with(prefix: "natgate-sysctl") { scratch in
        try scratch.namespace.run(body)
    }
}

/// A fresh directory under /tmp, removed by the caller.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/natgate-sysctl-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw NamespaceFailure(description: "mkdtemp failed") }
    return String(cString: path)
}
