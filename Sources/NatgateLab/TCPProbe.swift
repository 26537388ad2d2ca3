import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP client that connects from inside a lab namespace and reads what a ``TCPResponder`` says.
public enum TCPProbe {
    /// What one connection attempt came to.
    public enum Outcome: Hashable, Sendable, CustomStringConvertible {
        /// The connection was made and the responder answered with this line: the source address it
        /// saw.
        case answered(String)
        /// No connection was made, for this reason (`timed out after 2 s`, `Connection refused`…).
        case noConnection(String)

        /// The responder's answer, or nil when there was no connection.
        public var answer: String? {
            if case .answered(let text) = self { return text }
            return nil
        }

        public var description: String {
            switch self {
            case .answered(let text): "connected; the responder saw the connection come from \(text)"
            case .noConnection(let reason): "no connection (\(reason))"
            }
        }
    }

    /// Connects from `namespace` to `host`:`port`, waiting at most `timeout` for the connection and
    /// again for the answer, and returns what happened.
    ///
    /// A failure of the network (no route, no answer, refused) is an ``Outcome/noConnection(_:)``;
    /// only a failure of the lab itself (the namespace is gone, a bad address) throws.
    public static func connect(
        from namespace: LabNamespace, to host: String, port: UInt16, timeout: Duration = .seconds(2)
    ) throws -> Outcome {
        let remote = try SocketAddress(host: host, port: port)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try namespace.perform { () throws -> Outcome in
            let fd = socket(remote.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw LabError(operation: "socket in \(namespace)", errnoText()) }
            defer { close(fd) }
            if remote.withSockaddr({ Glibc.connect(fd, $0, $1) }) != 0 {
                guard errno == EINPROGRESS else { return .noConnection(errnoText()) }
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&poller, 1, milliseconds)
                if ready == 0 { return .noConnection("timed out after \(timeout.lab)") }
                if ready < 0 { return .noConnection(errnoText()) }
                var problem: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &problem, &length)
                if problem != 0 { return .noConnection(errnoText(problem)) }
            }
            // Connected: read the answer up to the responder's close.
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, milliseconds)
                if ready <= 0 { return .noConnection("connected, but no answer within \(timeout.lab)") }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return .noConnection("connected, then \(errnoText())")
                }
                if count == 0 { break }
                answer += buffer[0..<count]
            }
            let text = String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .answered(text)
        }
    }
}

extension Duration {
    /// `2 s`, `0.5 s`: a short form for messages.
    var lab: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
