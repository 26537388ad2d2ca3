import CNFTables
import Glibc

// Every libmnl call NatgateNFTables makes goes through this file; errno is read in the same
// wrapper as the call. libnftnl's parse and get calls set no errno worth reading and live with
// their decoders.

/// A bound `NETLINK_NETFILTER` socket of the calling thread's network namespace; closes itself.
///
/// The corresponding C functions are `mnl_socket_open`, `mnl_socket_bind` and `mnl_socket_close`.
struct NetfilterSocket: ~Copyable {
    private let socket: OpaquePointer
    /// The port id the kernel gave the socket, which its answers carry.
    let portID: UInt32

    init() throws(NFTError) {
        guard let socket = mnl_socket_open(NETLINK_NETFILTER) else {
            throw NFTError.netlink(.init(call: "mnl_socket_open"), errno: errno)
        }
        if mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
            let code = errno
            mnl_socket_close(socket)
            throw NFTError.netlink(.init(call: "mnl_socket_bind"), errno: code)
        }
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
    }

    deinit { mnl_socket_close(socket) }

    /// Sends one message. The corresponding C function is `mnl_socket_sendto`.
    func send(_ message: UnsafePointer<nlmsghdr>, request: String) throws(NFTError) {
        let length = Int(message.pointee.nlmsg_len)
        if mnl_socket_sendto(socket, message, length) < 0 {
            throw NFTError.netlink(.init(call: "mnl_socket_sendto", request: request), errno: errno)
        }
    }

    /// Sends a buffer of several messages (a batch) in one datagram. The corresponding C function
    /// is `mnl_socket_sendto`.
    func send(_ bytes: UnsafeRawBufferPointer, request: String) throws(NFTError) {
        if mnl_socket_sendto(socket, bytes.baseAddress, bytes.count) < 0 {
            throw NFTError.netlink(.init(call: "mnl_socket_sendto", request: request), errno: errno)
        }
    }

    /// Makes the send buffer hold a batch of `size` bytes: the kernel takes a batch as one
    /// datagram, which must fit the socket's send buffer (208 KiB by default), as iptables-nft
    /// does with SO_SNDBUFFORCE. The corresponding C function is `setsockopt`.
    func ensureSendBuffer(_ size: Int, request: String) throws(NFTError) {
        guard size > 128 * 1024 else { return }
        var value = Int32(clamping: size + 64 * 1024)
        if setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_SNDBUFFORCE, &value, socklen_t(MemoryLayout<Int32>.size)) < 0 {
            throw NFTError.netlink(.init(call: "setsockopt SO_SNDBUFFORCE", request: request), errno: errno)
        }
    }

    /// Receives one datagram when one is queued, without waiting; nil when none is. The
    /// corresponding C function is `recv` with `MSG_DONTWAIT`.
    func receiveIfQueued(into buffer: UnsafeMutableRawBufferPointer, request: String) throws(NFTError) -> Int? {
        let count = recv(mnl_socket_get_fd(socket), buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if count < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw NFTError.netlink(.init(call: "recv", request: request), errno: code)
        }
        return count
    }

    /// Receives one datagram into `buffer` and returns its length. The corresponding C function is
    /// `mnl_socket_recvfrom`.
    func receive(into buffer: UnsafeMutableRawBufferPointer, request: String) throws(NFTError) -> Int {
        let count = mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count)
        if count < 0 { throw NFTError.netlink(.init(call: "mnl_socket_recvfrom", request: request), errno: errno) }
        return count
    }
}

/// Runs libmnl's callback loop over one received datagram: checks sequence and port, turns
/// `NLMSG_ERROR` into errno, and calls `collector.add` for each data message. Returns false at
/// `NLMSG_DONE` (or the end of a non-dump answer), true when more datagrams follow.
///
/// The corresponding C function is `mnl_cb_run`.
func runCallbacks(
    _ datagram: UnsafeRawBufferPointer, sequence: UInt32, portID: UInt32, collector: MessageCollector, request: String
) throws(NFTError) -> Bool {
    let context = Unmanaged.passUnretained(collector).toOpaque()
    let result = mnl_cb_run(datagram.baseAddress, datagram.count, sequence, portID, { header, context in
        guard let header, let context else { return MNL_CB_ERROR }
        let collector = Unmanaged<MessageCollector>.fromOpaque(context).takeUnretainedValue()
        let length = Int(header.pointee.nlmsg_len)
        collector.messages.append(Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(header), count: length)))
        return MNL_CB_OK
    }, context)
    if result < 0 { throw NFTError.netlink(.init(call: "mnl_cb_run", request: request), errno: errno) }
    return result > 0
}

/// The data messages of one netlink answer, each a copy of its bytes (header included).
final class MessageCollector {
    var messages: [[UInt8]] = []
}
