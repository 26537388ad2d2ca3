#if canImport(Glibc)
import Glibc
#endif
import NatgateModel

/// Reads and writes forwarding sysctls of the calling thread's network namespace.
///
/// The kernel resolves `/proc/sys/net` for the namespace of the thread that opens the file, so a
/// call made inside a namespace runner (a thread moved with `setns`) reads and writes that
/// namespace's values, and the rest of the process is not affected.
public struct Sysctl: Sendable {
    /// Where sysctls are mounted: `/proc/sys`.
    public var root: String

    /// Sysctls under `root`: `/proc/sys`, or a directory of files for tests.
    public init(root: String = "/proc/sys") {
        self.root = root
    }

    /// The full path of `key`.
    public func path(_ key: SysctlKey) -> String { root + "/" + key.relativePath }

    /// The key's value, as the kernel prints it without the newline (`"0"`, `"1"`).
    ///
    /// - Throws: `SysctlError` (`.procSys`) naming the path and the errno.
    public func read(_ key: SysctlKey) throws -> String {
        let path = path(key)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SysctlError.system(.procSys, "Reading", path: path, errno: errno, key: key.description) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 { throw SysctlError.system(.procSys, "Reading", path: path, errno: errno, key: key.description) }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingWhitespace
    }

    /// Whether forwarding is on (the value is not `0`).
    public func isEnabled(_ key: SysctlKey) throws -> Bool { try read(key) != "0" }

    /// Writes `value` (`"0"` or `"1"`) to the key.
    ///
    /// - Throws: `SysctlError` (`.invalidValue`) for any other value; (`.procSys`) naming the path
    ///   and errno when the kernel refuses.
    public func write(_ key: SysctlKey, _ value: String) throws {
        guard value == "0" || value == "1" else {
            throw SysctlError(.invalidValue, input: value, "'\(value)' is not a value for \(key): write 0 or 1.")
        }
        let path = path(key)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw SysctlError.system(.procSys, "Writing", path: path, errno: errno, key: key.description) }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 { throw SysctlError.system(.procSys, "Writing", path: path, errno: errno, key: key.description) }
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        return String(scalars)
    }
}
