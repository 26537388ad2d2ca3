#if canImport(Glibc)
import Glibc
#endif

/// Which network namespace the calling thread is in, as a key for natgate's state files.
///
/// /run is shared by every namespace of the host, so a state file must say which namespace it is
/// for. The key is the inode (and device) of `/proc/thread-self/ns/net`. The kernel reuses those
/// inode numbers once a namespace is gone, so the file also records the namespace's cookie
/// (`SO_NETNS_COOKIE`, a 64-bit number the kernel never reuses) and a record whose cookie differs
/// is stale, from a namespace that no longer exists.
package struct NetworkNamespaceIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    package var device: UInt64
    package var inode: UInt64
    /// The namespace's cookie; nil on kernels older than 5.14, which lack `SO_NETNS_COOKIE`.
    package var cookie: UInt64?

    package init(device: UInt64, inode: UInt64, cookie: UInt64?) {
        self.device = device
        self.inode = inode
        self.cookie = cookie
    }

    /// The namespace of the calling thread.
    ///
    /// - Throws: `SysctlError` (`.stateFile`) when `/proc/thread-self/ns/net` cannot be read.
    package static func current() throws -> NetworkNamespaceIdentity {
        let path = "/proc/thread-self/ns/net"
        var info = stat()
        if stat(path, &info) != 0 { throw SysctlError.system(.stateFile, "Reading", path: path, errno: errno) }
        return NetworkNamespaceIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), cookie: currentCookie())
    }

    /// `SO_NETNS_COOKIE` of a socket made in the calling thread's namespace.
    static func currentCookie() -> UInt64? {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var cookie: UInt64 = 0
        var length = socklen_t(MemoryLayout<UInt64>.size)
        let soNetnsCookie: Int32 = 71  // SO_NETNS_COOKIE, <asm-generic/socket.h>; not in Glibc's headers here.
        guard getsockopt(fd, SOL_SOCKET, soNetnsCookie, &cookie, &length) == 0 else { return nil }
        return cookie
    }

    /// `net-4026531840`: the inode, which `ls -l /proc/self/ns/net` and `lsns` show.
    package var description: String { "net:[\(inode)]" }

    /// The state file name: `netns-DEVICE-INODE.json`.
    var fileName: String { "netns-\(device)-\(inode).json" }
}
