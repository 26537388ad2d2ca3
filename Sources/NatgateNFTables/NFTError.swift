import Glibc

/// The one public error of NatgateNFTables.
///
/// It carries what was being done (`operation`: the call and the netlink request), the `errno`
/// the failing call left, and a `message` a person can act on. `description` joins them.
public struct NFTError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is, for code that wants to react to some of them.
    public enum Kind: String, Sendable, Hashable {
        /// Not root, or no CAP_NET_ADMIN in the network namespace (EPERM/EACCES).
        case permissionDenied
        /// The kernel has no nf_tables (or no netfilter netlink) to ask.
        case noNFTables
        /// The kernel answered with a message libnftnl could not parse.
        case malformedMessage
        /// The ruleset changed between the dumps of one read, again and again.
        case rulesetChanged
        /// natgate will not write or read a rule this way: it cannot encode it exactly as
        /// iptables-nft does, or cannot decode expressions iptables-nft did not write.
        case refused
        /// A batch carried the generation id natgate read, and another program had committed a
        /// change since: nothing was written. Read the ruleset again and derive the change anew.
        case generationMismatch
        /// The kernel refused a message of a batch: nothing of the batch was written.
        case batchFailed
        /// Any other failure of a system or library call.
        case system
    }

    /// What was being done when the error happened.
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        /// The C function, such as `mnl_socket_recvfrom`; empty when none.
        public var call: String
        /// The netlink request, such as `NFT_MSG_GETCHAIN dump`; empty when none.
        public var request: String

        /// The operation of `call` sending `request`.
        public init(call: String = "", request: String = "") {
            self.call = call
            self.request = request
        }

        public var description: String {
            switch (request.isEmpty, call.isEmpty) {
            case (true, true): ""
            case (true, false): call
            case (false, true): request
            case (false, false): "\(request) (\(call))"
            }
        }
    }

    /// What kind of error this is.
    public var kind: Kind
    /// What natgate was doing.
    public var operation: Operation
    /// The errno the failing call left, when a call failed.
    public var errno: Int32?
    /// What went wrong and what to do, in a sentence or two.
    public var message: String

    /// An error of `kind` saying `message`, with what natgate was doing and the errno.
    public init(_ kind: Kind, _ message: String, operation: Operation = Operation(), errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        var text = ""
        let where_ = operation.description
        if !where_.isEmpty { text += "nftables \(where_): " }
        text += message
        if let errno { text += " [errno \(errno) \(String(cString: strerror(errno)))]" }
        return text
    }

    /// Turns a failed call on the netfilter netlink socket into an error whose message says what to do.
    static func netlink(_ operation: Operation, errno code: Int32) -> NFTError {
        switch code {
        case EPERM, EACCES:
            NFTError(.permissionDenied,
                "Permission denied: reading the nftables ruleset needs root or CAP_NET_ADMIN in the network namespace. Run natgate as root (sudo), or grant the capability.",
                operation: operation, errno: code)
        // No netfilter netlink: the socket cannot be opened. No nf_tables behind it: nfnetlink
        // answers the first request (the generation id) with EINVAL.
        case _ where [EPROTONOSUPPORT, EAFNOSUPPORT, EOPNOTSUPP].contains(code) || (code == EINVAL && operation.request == "NFT_MSG_GETGEN"):
            NFTError(.noNFTables,
                "This kernel has no nf_tables (netfilter netlink or the nf_tables subsystem is missing), so there is no nftables ruleset to read. Load the module (modprobe nf_tables) or use a kernel built with CONFIG_NF_TABLES.",
                operation: operation, errno: code)
        default:
            NFTError(.system, "\(operation.call.isEmpty ? "The request" : operation.call) failed.", operation: operation, errno: code)
        }
    }
}
