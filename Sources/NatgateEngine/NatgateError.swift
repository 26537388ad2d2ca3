import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// The one public error of the façade: what failed, in words a person can act on, and the exit
/// status a command-line tool should end with.
public struct NatgateError: Error, CustomStringConvertible, Sendable {
    /// What kind of error this is.
    ///
    /// A struct, not an enum, so that a later natgate can add kinds without breaking code that
    /// switches over them: compare with `==`, or `switch` with `case .invalidInput:` and a `default:`.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The kind's name, as its static property spells it (`invalidInput`).
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// The input was refused before anything changed: a bad subnet, interface, policy file,
        /// or gateways that conflict. Exit status 2.
        public static let invalidInput = Kind(rawValue: "invalidInput")
        /// The kernel refused or could not be reached (not root, no legacy tables, lock timeout…),
        /// or a sysctl or state file could not be written. Exit status 3.
        public static let system = Kind(rawValue: "system")
    }

    /// What kind of error this is, which decides `exitCode`.
    public var kind: Kind
    /// What failed and what to do, for a person: names the bad input or the refused call.
    public var message: String
    /// The error this one wraps (`PolicyError`, `ModelError`, `SysctlError`, `KernelError`).
    public var underlying: (any Error & Sendable)?

    /// An error of `kind`, saying `message`, wrapping `underlying` when a lower module's error
    /// caused it.
    public init(_ kind: Kind, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    /// The exit status for this error: 2 for bad input, 3 for a kernel or system error.
    public var exitCode: Int32 { kind == .invalidInput ? 2 : 3 }

    public var description: String { message }

    /// Wraps any error of natgate's modules, classifying it.
    public init(wrapping error: any Error) {
        switch error {
        case let error as NatgateError:
            self = error
        case let error as PolicyError:
            self.init(error.kind == .foreignReference ? .system : .invalidInput, error.message, underlying: error)
        case let error as ModelError:
            self.init(.invalidInput, error.description, underlying: error)
        case let error as SysctlError:
            self.init(error.kind == .unknownKey || error.kind == .invalidValue ? .invalidInput : .system, error.message, underlying: error)
        case let error as any BackendError:
            self.init(error.isInvalidInput ? .invalidInput : .system, error.description, underlying: error)
        default:
            self.init(.system, "\(error)")
        }
    }
}

/// The error of a store's backend (the kernel's `KernelError`), as the façade classifies it
/// without knowing the backend.
package protocol BackendError: Error, Sendable, CustomStringConvertible {
    /// Whether the input was refused before anything changed (a bad namespace name, say).
    var isInvalidInput: Bool { get }
    /// Whether the backend committed part of a change and could not put it back (a failed
    /// rollback): the kernel holds part of it.
    var leftPartOfAChange: Bool { get }
}
