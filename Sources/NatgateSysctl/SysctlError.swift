#if canImport(Glibc)
import Glibc
#endif

/// The one public error of the sysctl module: what natgate tried, on which key or file, the errno,
/// and what to do.
public struct SysctlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of error this is.
    ///
    /// A struct, not an enum, so that a later natgate can add kinds without breaking code that
    /// switches over them: compare with `==`, or `switch` with `case .unknownKey:` and a `default:`.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The kind's name, as its static property spells it (`unknownKey`).
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// The key is not one natgate reads or writes.
        public static let unknownKey = Kind(rawValue: "unknownKey")
        /// The value is not one the key takes.
        public static let invalidValue = Kind(rawValue: "invalidValue")
        /// A read or write of /proc/sys failed.
        public static let procSys = Kind(rawValue: "procSys")
        /// The state file under /run/natgate could not be read or written.
        public static let stateFile = Kind(rawValue: "stateFile")
    }

    /// What kind of error this is.
    public var kind: Kind
    /// The key or path concerned.
    public var input: String
    /// The errno of the failing call, when there was one.
    public var errno: Int32?
    /// What failed and what to do, for a person.
    public var message: String

    /// An error of `kind` about `input` (a key or path), with the failing call's `errno`.
    public init(_ kind: Kind, input: String, errno: Int32? = nil, _ message: String) {
        self.kind = kind
        self.input = input
        self.errno = errno
        self.message = message
    }

    public var description: String { message }

    /// An error for a failed system call on `path`, with advice for the usual errnos.
    static func system(_ kind: Kind, _ operation: String, path: String, errno code: Int32, key: String? = nil) -> SysctlError {
        let reason = String(cString: strerror(code))
        let advice: String
        switch code {
        case EACCES, EPERM:
            advice = "Run natgate as root (it needs CAP_NET_ADMIN and write access to \(path))."
        case ENOENT where kind == .procSys:
            advice = key.map { "The kernel has no \($0) here: for an interface key, check the interface exists in this namespace ('ip link'); for IPv6, check IPv6 is not disabled." }
                ?? "Check the path."
        case EROFS:
            advice = "\(path) is read-only here (a container with /proc/sys mounted read-only?): run natgate where it may change sysctls, or pass --no-sysctl."
        default:
            advice = "Check \(path)."
        }
        return SysctlError(kind, input: key ?? path, errno: code, "\(operation) \(path) failed: \(reason) (errno \(code)). \(advice)")
    }
}
