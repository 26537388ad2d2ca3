import CIPSet
import Glibc

// Every libmnl call NatgateIPSet makes goes through this file; errno is read in the same wrapper
// as the call.

/// A bound `NETLINK_NETFILTER` socket of the calling thread's network namespace; closes itself.
///
/// The corresponding C functions are `mnl_socket_open`, `mnl_socket_bind` and `mnl_socket_close`.
struct IPSetSocket: ~Copyable {
    private let socket: OpaquePointer
    let portID: UInt32

    init(operation: String) throws(IPSetError) {
        guard let socket = mnl_socket_open(NETLINK_NETFILTER) else {
            throw IPSetError.fromErrno(errno, call: "mnl_socket_open", operation: operation)
        }
        if mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
            let code = errno
            mnl_socket_close(socket)
            throw IPSetError.fromErrno(code, call: "mnl_socket_bind", operation: operation)
        }
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
    }

    deinit { mnl_socket_close(socket) }

    /// The corresponding C function is `mnl_socket_sendto`.
    func send(_ message: [UInt8], operation: String) throws(IPSetError) {
        let sent = message.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
        if sent < 0 { throw IPSetError.fromErrno(errno, call: "mnl_socket_sendto", operation: operation) }
    }

    /// Receives one datagram. The corresponding C function is `mnl_socket_recvfrom`.
    func receive(into buffer: inout [UInt8], operation: String) throws(IPSetError) -> Int {
        let count = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
        if count < 0 { throw IPSetError.fromErrno(errno, call: "mnl_socket_recvfrom", operation: operation) }
        return count
    }
}

/// The data messages of one datagram, after libmnl checked sequence and port: returns whether
/// more datagrams follow (a dump not yet at `NLMSG_DONE`). Errors are read before this runs.
///
/// The corresponding C function is `mnl_cb_run`.
func dataMessages(
    _ datagram: ArraySlice<UInt8>, sequence: UInt32, portID: UInt32, into collector: MessageCollector, operation: String
) throws(IPSetError) -> Bool {
    let context = Unmanaged.passUnretained(collector).toOpaque()
    let (result, code) = datagram.withUnsafeBytes { buffer in
        let result = mnl_cb_run(buffer.baseAddress, buffer.count, sequence, portID, { header, context in
            guard let header, let context else { return MNL_CB_ERROR }
            let collector = Unmanaged<MessageCollector>.fromOpaque(context).takeUnretainedValue()
            collector.messages.append(Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(header), count: Int(header.pointee.nlmsg_len))))
            return MNL_CB_OK
        }, context)
        return (result, result < 0 ? errno : 0)
    }
    if result < 0 { throw IPSetError.fromErrno(code, call: "mnl_cb_run", operation: operation) }
    return result > 0
}

/// Messages copied out of libmnl's callback, header included.
final class MessageCollector {
    var messages: [[UInt8]] = []
}

extension IPSetError {
    /// A failed system call, before the kernel's ip set code saw the request.
    static func fromErrno(_ code: Int32, call: String, operation: String) -> IPSetError {
        switch code {
        case EPERM, EACCES:
            IPSetError(.permissionDenied, "ip sets can be changed and read only by root (CAP_NET_ADMIN in the network namespace); run natgate as root.", operation: operation, errno: code)
        case EPROTONOSUPPORT:
            IPSetError(.unsupported, "This kernel has no netfilter netlink (\(call) failed), so it has no ip sets either.", operation: operation, errno: code)
        default:
            IPSetError(.system, "\(call) failed.", operation: operation, errno: code)
        }
    }
}
