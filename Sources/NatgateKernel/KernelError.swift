import Foundation
import Glibc
import NatgateModel

/// The one public error of the kernel backend.
///
/// It carries what was being done (`operation`: the libiptc call, family, table, chain and rule
/// position), the `errno` and libiptc's own message when a libiptc call failed, and a `message`
/// that says what went wrong in words a person can act on. `description` joins them.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is, for code that wants to react to some of them.
    ///
    /// A struct, not an enum, so that a later natgate can add kinds without breaking code that
    /// switches over them: compare with `==`, or `switch` with `case .permissionDenied:` and a `default:`.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The kind's name, as its static property spells it (`permissionDenied`).
        public let rawValue: String

        /// The kind named `rawValue`; use the static properties rather than making one.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// Not root, or no CAP_NET_ADMIN in the namespace (EPERM/EACCES).
        public static let permissionDenied = Kind(rawValue: "permissionDenied")
        /// The kernel has no legacy x_tables for the family (`/proc/net/ip_tables_names` missing).
        public static let noLegacyTables = Kind(rawValue: "noLegacyTables")
        /// The table does not exist in this kernel.
        public static let unknownTable = Kind(rawValue: "unknownTable")
        /// A chain named by a change does not exist (or already exists, when creating it).
        public static let unknownChain = Kind(rawValue: "unknownChain")
        /// The kernel does not know a match or target, or not at the revision natgate writes.
        public static let unsupportedExtension = Kind(rawValue: "unsupportedExtension")
        /// The kernel refused the table as invalid (EINVAL: a target in a table or chain it is not
        /// allowed in, a bad size, a loop).
        public static let invalidTable = Kind(rawValue: "invalidTable")
        /// Another program kept changing the table while natgate was applying its change.
        public static let tableChanged = Kind(rawValue: "tableChanged")
        /// The xtables lock was held by another program for longer than the configured wait.
        public static let lockTimeout = Kind(rawValue: "lockTimeout")
        /// The xtables lock file could not be opened or locked.
        public static let lockFailed = Kind(rawValue: "lockFailed")
        /// natgate refused a rule or change before sending anything to the kernel.
        public static let refused = Kind(rawValue: "refused")
        /// Entering a network namespace failed.
        public static let namespace = Kind(rawValue: "namespace")
        /// A namespace name that cannot name one (empty, `/`, `.`, `..`, control characters), or
        /// names none (`ip netns list` does not show it): bad input.
        public static let invalidNamespaceName = Kind(rawValue: "invalidNamespaceName")
        /// A table the kernel returned could not be read back into the model.
        public static let malformedEntry = Kind(rawValue: "malformedEntry")
        /// A later table of a multi-table change failed and the earlier ones were restored.
        public static let rolledBack = Kind(rawValue: "rolledBack")
        /// A later table failed and restoring an earlier one failed too: the kernel holds a mix.
        public static let rollbackFailed = Kind(rawValue: "rollbackFailed")
        /// Any other failure of a system call.
        public static let system = Kind(rawValue: "system")
    }

    /// What natgate was doing when the error happened.
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        /// The libiptc function or system call, such as `iptc_commit` or `flock`; empty when none.
        public var call: String
        /// The family of the tables, when one was involved.
        public var family: Family?
        /// The table, when one was involved.
        public var table: TableName?
        /// The chain, when one was involved.
        public var chain: String?
        /// The 1-based position of the rule in its chain, as `iptables -L --line-numbers` counts.
        public var rulePosition: Int?

        /// The operation of `call` on what is given.
        public init(call: String = "", family: Family? = nil, table: TableName? = nil, chain: String? = nil, rulePosition: Int? = nil) {
            self.call = call
            self.family = family
            self.table = table
            self.chain = chain
            self.rulePosition = rulePosition
        }

        public var description: String {
            var parts: [String] = []
            if let family, let table { parts.append("\(family == .ipv4 ? "iptables" : "ip6tables") table \(table)") }
            else if let family { parts.append(family == .ipv4 ? "iptables" : "ip6tables") }
            if let chain { parts.append("chain \(chain)") }
            if let rulePosition { parts.append("rule \(rulePosition)") }
            var text = parts.joined(separator: ", ")
            if !call.isEmpty { text += text.isEmpty ? call : " (\(call))" }
            return text
        }
    }

    /// What kind of error this is.
    public var kind: Kind
    /// What natgate was doing.
    public var operation: Operation
    /// The errno the failing call left, when a call failed.
    public var errno: Int32?
    /// libiptc's own explanation of the errno (`iptc_strerror`), when a libiptc call failed.
    public var libiptcMessage: String?
    /// What went wrong and what to do, in a sentence or two.
    public var message: String
    /// Further errors this one reports together with: the failure that caused a rollback, and the
    /// rollback's own failure.
    public var related: [KernelError]

    /// An error of `kind` saying `message`, with what natgate was doing, the errno and libiptc's
    /// message when a call failed, and the errors it reports together with.
    public init(
        _ kind: Kind, _ message: String, operation: Operation = Operation(), errno: Int32? = nil,
        libiptcMessage: String? = nil, related: [KernelError] = []
    ) {
        self.kind = kind
        self.message = message
        self.operation = operation
        self.errno = errno
        self.libiptcMessage = libiptcMessage
        self.related = related
    }

    public var description: String {
        var text = ""
        let where_ = operation.description
        if !where_.isEmpty { text += "\(where_): " }
        text += message
        var details: [String] = []
        if let libiptcMessage, !libiptcMessage.isEmpty { details.append("libiptc: \(libiptcMessage)") }
        if let errno { details.append("errno \(errno) \(KernelError.errnoName(errno))") }
        if !details.isEmpty { text += " [\(details.joined(separator: "; "))]" }
        for other in related { text += "\n  - " + other.description.replacingOccurrences(of: "\n", with: "\n    ") }
        return text
    }

    /// The symbolic name of an errno value, such as `EPERM`.
    static func errnoName(_ code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EACCES: "EACCES"
        case EAGAIN: "EAGAIN"
        case EINVAL: "EINVAL"
        case EEXIST: "EEXIST"
        case ENOMEM: "ENOMEM"
        case EBUSY: "EBUSY"
        case ENOTEMPTY: "ENOTEMPTY"
        case EMLINK: "EMLINK"
        case ELOOP: "ELOOP"
        case EPROTOTYPE: "EPROTOTYPE"
        case ENOPROTOOPT: "ENOPROTOOPT"
        case E2BIG: "E2BIG"
        case ERANGE: "ERANGE"
        case EWOULDBLOCK: "EWOULDBLOCK"
        case EBADF: "EBADF"
        default: "errno \(code)"
        }
    }
}

extension KernelError {
    /// Turns a failed libiptc call into an error whose message says what to do.
    static func libiptc(_ failure: LibiptcFailure, _ operation: Operation) -> KernelError {
        let code = failure.errno
        var operation = operation
        operation.call = failure.function
        let family = operation.family ?? .ipv4
        let tool = family == .ipv4 ? "iptables" : "ip6tables"
        let table = operation.table?.rawValue ?? "?"
        let chain = operation.chain ?? "?"
        let isInit = failure.function.hasSuffix("_init")
        let isCommit = failure.function.hasSuffix("_commit")
        func make(_ kind: Kind, _ message: String) -> KernelError {
            KernelError(kind, message, operation: operation, errno: code, libiptcMessage: failure.message)
        }
        switch code {
        case EPERM, EACCES:
            return make(.permissionDenied,
                "Permission denied: changing or reading \(tool) tables needs root or CAP_NET_ADMIN in the network namespace. Run natgate as root (sudo), or grant the capability.")
        case ENOENT where isInit, ENOPROTOOPT where isInit, EINVAL where isInit:
            if !LegacyTables.isAvailable(family) {
                return make(.noLegacyTables, LegacyTables.missingMessage(family))
            }
            return make(.unknownTable,
                "The kernel has no \(tool) table '\(table)' (legacy x_tables). Load its module (modprobe \(family == .ipv4 ? "iptable" : "ip6table")_\(table)) or choose another table.")
        case ENOENT where isCommit:
            return make(.unsupportedExtension,
                "The kernel refused the \(table) table: a match or target it holds is not known to this kernel, or a jump names a missing chain. Load the extension's module (modprobe xt_NAME), or remove the rule; the kernel log (dmesg) names it.")
        case EPROTOTYPE:
            return make(.unsupportedExtension,
                "The kernel does not support the revision natgate writes for a match or target in the \(table) table. Use a newer kernel or leave the extension out; dmesg names it.")
        case EINVAL where isCommit:
            return make(.invalidTable,
                "The kernel refused the \(table) table as invalid: a target is used in a table or chain it is not allowed in, an extension's size does not match this kernel, or there is a loop. dmesg says which.")
        case ELOOP:
            return make(.invalidTable, "The change would create a loop of jumps between chains in the \(table) table; remove one of the jumps.")
        case EAGAIN where isCommit:
            return make(.tableChanged,
                "Another program changed the \(table) table while natgate was applying its change. Run the command again.")
        case ENOENT:
            return make(.unknownChain, "Chain '\(chain)' does not exist in the \(table) table. Create it first, or check its name with `\(tool)-legacy-save -t \(table)`.")
        case EEXIST:
            return make(.unknownChain, "Chain '\(chain)' already exists in the \(table) table.")
        case EMLINK, EBUSY:
            return make(.refused, "Chain '\(chain)' is still the target of a jump; remove the jumps to it before deleting it.")
        case ENOTEMPTY:
            return make(.refused, "Chain '\(chain)' still holds rules; flush it before deleting it.")
        case E2BIG:
            return make(.refused, "Rule position \(operation.rulePosition.map(String.init) ?? "?") is past the end of chain '\(chain)'.")
        case EINVAL:
            return make(.refused, "libiptc refused the request as invalid (\(failure.message)); this is a bug in natgate's encoding, please report it.")
        default:
            return make(.system, "\(failure.function) failed: \(failure.message).")
        }
    }
}

/// Whether this kernel has the legacy x_tables interface natgate (through libiptc) writes to.
package enum LegacyTables {
    /// The `/proc` file listing the legacy tables of `family` in the calling thread's namespace.
    package static func namesFile(_ family: Family) -> String {
        family == .ipv4 ? "/proc/thread-self/net/ip_tables_names" : "/proc/thread-self/net/ip6_tables_names"
    }

    /// Whether the kernel has legacy x_tables for `family`, seen from the calling thread's network namespace.
    package static func isAvailable(_ family: Family) -> Bool {
        access(namesFile(family), F_OK) == 0
    }

    /// The tables of `family` in use in the calling thread's network namespace, from
    /// `namesFile(family)`; nil when the kernel has no legacy x_tables for the family (no file).
    ///
    /// - Throws: `KernelError` (`.permissionDenied`) when the file exists but cannot be read, as
    ///   for a user without root: that is not "no tables", and must not be reported as such.
    package static func tablesInUse(_ family: Family) throws(KernelError) -> [String]? {
        let path = namesFile(family)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            let code = Glibc.errno
            if code == ENOENT { return nil }
            throw unreadable(family, errno: code)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = Glibc.errno
                if code == EINTR { continue }
                throw unreadable(family, errno: code)
            }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func unreadable(_ family: Family, errno code: Int32) -> KernelError {
        let tool = family == .ipv4 ? "iptables" : "ip6tables"
        let proc = family == .ipv4 ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names"
        if code == EACCES || code == EPERM {
            return KernelError(
                .permissionDenied,
                "Permission denied: changing or reading \(tool) tables needs root or CAP_NET_ADMIN in the network namespace (\(proc) is not readable). Run natgate as root (sudo), or grant the capability.",
                operation: .init(call: "open", family: family), errno: code)
        }
        return KernelError(.system, "Cannot read \(proc): \(String(cString: strerror(code))).", operation: .init(call: "read", family: family), errno: code)
    }

    static func missingMessage(_ family: Family) -> String {
        let proc = family == .ipv4 ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names"
        let module = family == .ipv4 ? "ip_tables" : "ip6_tables"
        return "This kernel has no legacy x_tables for \(family == .ipv4 ? "IPv4" : "IPv6") (\(proc) is missing). natgate writes legacy iptables tables through libiptc, the world `\(family == .ipv4 ? "iptables" : "ip6tables")-legacy` shows, not nftables. Load the module (modprobe \(module)) or use a kernel built with it."
    }
}

