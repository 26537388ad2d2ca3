import NatgateModel

/// The one public error of the policy module.
///
/// Its `description` names the input that was refused and says what to do, so that a command-line
/// tool can print it as it is.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of input was refused.
    ///
    /// A struct, not an enum, so that a later natgate can add kinds without breaking code that
    /// switches over them: compare with `==`, or `switch` with `case .invalidGateway:` and a `default:`.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The kind's name, as its static property spells it (`invalidGateway`).
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// A gateway's own fields do not fit together (an IPv6 subnet with an IPv4 SNAT address…).
        public static let invalidGateway = Kind(rawValue: "invalidGateway")
        /// Two gateways cannot be enabled together (same subnet through two uplinks, overlapping subnets).
        public static let conflict = Kind(rawValue: "conflict")
        /// A policy file is not valid JSON, has an unknown key, a wrong version or a bad value.
        public static let invalidPolicyFile = Kind(rawValue: "invalidPolicyFile")
        /// A chain natgate owns is referenced by a rule natgate does not own, so it cannot be removed.
        public static let foreignReference = Kind(rawValue: "foreignReference")
        /// Rendering asked for a family the gateways have none of: there are no rules to show.
        public static let noGateways = Kind(rawValue: "noGateways")
    }

    /// What kind of error this is.
    public var kind: Kind
    /// The input that was refused, as given (a subnet, a key path, a chain name).
    public var input: String
    /// What is wrong and what to do, in one or two sentences.
    public var message: String

    /// An error of `kind` about `input`, saying `message`.
    public init(_ kind: Kind, input: String, _ message: String) {
        self.kind = kind
        self.input = input
        self.message = message
    }

    public var description: String { message }
}
