import Glibc
import NatgateModel

/// Resolves ip set names to the indexes a `set` match stores, and back, in the network namespace
/// of the calling thread, as iptables does: `getsockopt(SOL_IP, SO_IP_SET)` on a raw socket.
///
/// The entry encoder and decoder run inside `NetworkNamespace.run`, so the namespace of the
/// calling thread is the one whose tables are being written or read.
///
/// The requests (linux/netfilter/ipset/ip_set.h), native byte order:
///
///     struct ip_set_req_version        { u32 op = 0x100; u32 version; }                  //  8 bytes
///     struct ip_set_req_get_set_family { u32 op = 8; u32 version; u32 family;
///                                        union { char name[32]; u16 index; } set; }      // 44 bytes
///     struct ip_set_req_get_set        { u32 op = 7; u32 version;
///                                        union { char name[32]; u16 index; } set; }      // 40 bytes
///
/// The kernel answers in the same buffer: the protocol version, the set's index (65535 when there
/// is no such set) and family, or the name (empty when no set has that index).
public struct KernelIPSetResolver: IPSetResolving {
    /// A resolver asking the kernel of the calling thread's namespace.
    public init() {}

    static let soIPSet: Int32 = 83
    static let opVersion: UInt32 = 0x100
    static let opGetByIndex: UInt32 = 7
    static let opGetFamilyAndIndex: UInt32 = 8
    static let invalidIndex: UInt16 = 65535

    public func index(ofSet name: String, family: Family) throws -> UInt16 {
        try SetMatch.checkSetName(name)
        let version = try protocolVersion()
        var request = [UInt8](repeating: 0, count: 44)
        Self.put(Self.opGetFamilyAndIndex, at: 0, in: &request)
        Self.put(version, at: 4, in: &request)
        request.replaceSubrange(12..<(12 + name.utf8.count), with: Array(name.utf8))
        try Self.ask(&request, what: "the index of ip set \(ModelError.quote(name))")
        let index = UInt16(request[12]) | UInt16(request[13]) << 8
        guard index != Self.invalidIndex else {
            throw KernelError(.refused, "No ip set \(ModelError.quote(name)) exists in this network namespace: create it first (ipset create \(name) …), then write the rule that matches it.",
                              operation: .init(call: "getsockopt(SO_IP_SET)"))
        }
        let setFamily = UInt32(request[8]) | UInt32(request[9]) << 8 | UInt32(request[10]) << 16 | UInt32(request[11]) << 24
        let wanted: UInt32 = family == .ipv4 ? 2 : 10
        guard setFamily == wanted else {
            throw KernelError(.refused, "ip set \(ModelError.quote(name)) holds \(setFamily == 2 ? "IPv4" : setFamily == 10 ? "IPv6" : "family \(setFamily)") addresses, so an \(family == .ipv4 ? "IPv4" : "IPv6") rule cannot match it: use a set created with family \(family == .ipv4 ? "inet" : "inet6").",
                              operation: .init(call: "getsockopt(SO_IP_SET)"))
        }
        return index
    }

    public func name(ofSetIndex index: UInt16) throws -> String {
        let version = try protocolVersion()
        var request = [UInt8](repeating: 0, count: 40)
        Self.put(Self.opGetByIndex, at: 0, in: &request)
        Self.put(version, at: 4, in: &request)
        request[8] = UInt8(index & 0xFF)
        request[9] = UInt8(index >> 8)
        try Self.ask(&request, what: "the name of ip set number \(index)")
        let bytes = request[8..<40].prefix { $0 != 0 }
        guard !bytes.isEmpty else {
            throw KernelError(.malformedEntry, "A rule matches ip set number \(index), and this namespace has no set with that number.",
                              operation: .init(call: "getsockopt(SO_IP_SET)"))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The ip set protocol version the kernel speaks, which every request carries.
    private func protocolVersion() throws -> UInt32 {
        var request = [UInt8](repeating: 0, count: 8)
        Self.put(Self.opVersion, at: 0, in: &request)
        try Self.ask(&request, what: "the ip set protocol version")
        return UInt32(request[4]) | UInt32(request[5]) << 8 | UInt32(request[6]) << 16 | UInt32(request[7]) << 24
    }

    private static func put(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
    }

    /// Sends one request on a fresh raw socket and reads the kernel's answer into the same bytes.
    private static func ask(_ request: inout [UInt8], what: String) throws(KernelError) {
        let fd = IPSetSockopt.socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
        guard fd.result >= 0 else { throw failure(fd.errno, call: "socket", what: what) }
        defer { IPSetSockopt.close(fd.result) }
        let answer = IPSetSockopt.getsockopt(fd.result, Int32(IPPROTO_IP), soIPSet, &request)
        guard answer.result == 0 else { throw failure(answer.errno, call: "getsockopt(SO_IP_SET)", what: what) }
    }

    private static func failure(_ code: Int32, call: String, what: String) -> KernelError {
        let message = switch code {
        case EPERM, EACCES: "Reading \(what) needs root (CAP_NET_ADMIN and CAP_NET_RAW in the network namespace); run natgate as root."
        case ENOPROTOOPT: "This kernel has no ip set support (CONFIG_IP_SET), so rules that match ip sets cannot be written or read."
        case EPROTO: "The kernel's ip set protocol is one natgate does not speak; report your kernel version."
        default: "Could not read \(what) from the kernel."
        }
        return KernelError(code == EPERM || code == EACCES ? .permissionDenied : .system, message, operation: .init(call: call), errno: code)
    }
}

/// The C calls the resolver makes, each returning its result with the errno read right after it.
enum IPSetSockopt {
    /// The corresponding C function is `socket`.
    static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) -> (result: Int32, errno: Int32) {
        let fd = Glibc.socket(domain, type, proto)
        return (fd, fd < 0 ? Glibc.errno : 0)
    }

    /// The corresponding C function is `getsockopt`; `buffer` is both the request and the answer.
    static func getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ buffer: inout [UInt8]) -> (result: Int32, errno: Int32) {
        var length = socklen_t(buffer.count)
        let result = buffer.withUnsafeMutableBytes { Glibc.getsockopt(fd, level, name, $0.baseAddress, &length) }
        return (result, result != 0 ? Glibc.errno : 0)
    }

    /// The corresponding C function is `close`.
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}
