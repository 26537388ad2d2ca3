import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP server inside a lab namespace that answers every connection with the address it saw the
/// connection come from, one line, and closes it.
///
/// This is how the lab proves masquerading: a client in `ns1` (10.200.1.2) connects to a responder
/// in the outside namespace, and the responder answers with the host's uplink address
/// (203.0.113.2) when the gateway rewrote the source, the client's own address when it did not.
///
/// The listening socket is opened on a thread inside the namespace (so it belongs there); the
/// accept loop runs on a thread of its own until ``stop()``.
public final class TCPResponder: Sendable {
    /// The namespace the responder listens in.
    public let namespace: LabNamespace
    /// The address it listens on.
    public let address: String
    /// The port it listens on: the one asked for, or the one the kernel chose for port 0.
    public let port: UInt16

    private let listener: Int32
    private let stopping = LockedBox(false)
    private let seen = LockedBox([String]())
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = LockedBox(false)

    /// Starts listening on `address`:`port` inside `namespace`; port 0 lets the kernel choose.
    public init(in namespace: LabNamespace, address: String, port: UInt16 = 0) throws {
        let local = try SocketAddress(host: address, port: port)
        let (listener, boundPort) = try namespace.perform { () throws -> (Int32, UInt16) in
            let fd = socket(local.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw LabError(operation: "socket in \(namespace)", errnoText()) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = local.withSockaddr { bind(fd, $0, $1) }
            guard bound == 0 else {
                let reason = errnoText()
                close(fd)
                throw LabError(operation: "bind \(local) in \(namespace)", "\(reason): is the address configured on an interface there?")
            }
            guard listen(fd, 64) == 0 else {
                let reason = errnoText()
                close(fd)
                throw LabError(operation: "listen on \(local) in \(namespace)", reason)
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return (fd, SocketAddress(storage: storage).port)
        }
        self.namespace = namespace
        self.address = address
        self.listener = listener
        self.port = boundPort
        let stopping = self.stopping
        let seen = self.seen
        let finished = self.finished
        Thread {
            Self.serve(listener: listener, stopping: stopping, seen: seen)
            finished.signal()
        }.start()
    }

    /// The source addresses of the connections answered so far, oldest first.
    public var peersSeen: [String] { seen.value }

    /// Stops accepting, waits for the accept loop to end and closes the socket. Calling it again
    /// does nothing.
    public func stop() {
        let first = stopped.withValue { value -> Bool in
            defer { value = true }
            return !value
        }
        guard first else { return }
        stopping.value = true
        finished.wait()
        close(listener)
    }

    deinit { stop() }

    private static func serve(listener: Int32, stopping: LockedBox<Bool>, seen: LockedBox<[String]>) {
        while !stopping.value {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready <= 0 { continue }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connection = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let peer = SocketAddress(storage: storage).host
            seen.withValue { $0.append(peer) }
            let answer = Array((peer + "\n").utf8)
            _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(connection)
        }
    }
}
