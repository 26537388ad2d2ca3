import Glibc

/// The one public error of NatgateIPSet: what was being done, what went wrong in words a person
/// can act on, and the kernel's error number.
public struct IPSetError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of error this is.
    public enum Kind: String, Sendable, Hashable {
        /// Not root, or no CAP_NET_ADMIN in the namespace.
        case permissionDenied
        /// A set of that name already exists (create, or the new name of a rename).
        case setExists
        /// No set of that name exists.
        case noSuchSet
        /// A rule (or a list:set) uses the set: it cannot be destroyed or renamed.
        case inUse
        /// The member is already in the set (add).
        case memberExists
        /// The member is not in the set (delete).
        case memberMissing
        /// The set is full (maxelem).
        case setFull
        /// The two sets of a swap are of different types or families.
        case incompatible
        /// A name, member or option natgate or the kernel refuses.
        case invalid
        /// The kernel has no ip set support, or speaks another protocol.
        case unsupported
        /// Any other failure of a system call or of the kernel.
        case system
    }

    /// What kind of error this is.
    public var kind: Kind
    /// What was being done, as the `ipset` command line that does the same: `ipset add S 10.1.0.0/24,eth0`.
    public var operation: String
    /// What went wrong and what to do, for a person.
    public var message: String
    /// The kernel's error number (errno, or an ipset-specific code from 4096 up), when it gave one.
    public var errno: Int32?

    /// An error of `kind` saying `message`, made while doing `operation`, with the kernel's `errno`.
    public init(_ kind: Kind, _ message: String, operation: String = "", errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        var text = operation.isEmpty ? message : "\(operation): \(message)"
        if let errno { text += " [error \(errno)\(errno < 4096 ? " " + String(cString: strerror(errno)) : "")]" }
        return text
    }
}
