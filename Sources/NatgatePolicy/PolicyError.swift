import NatgateModel

/// The one public error of the policy module.
///
/// Its `description` names the input that was refused and says what to do, so that a command-line
/// tool can print it as it is.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of input was refused.
    public enum Kind: String, Hashable, Sendable {
        /// A gateway's own fields do not fit together (an IPv6 subnet with an IPv4 SNAT address…).
        case invalidGateway
        /// Two gateways cannot be enabled together (same subnet through two uplinks, overlapping subnets).
        case conflict
        /// A policy file is not valid JSON, has an unknown key, a wrong version or a bad value.
        case invalidPolicyFile
        /// A chain natgate owns is referenced by a rule natgate does not own, so it cannot be removed.
        case foreignReference
        /// Rendering asked for a family the gateways have none of: there are no rules to show.
        case noGateways
    }

    public var kind: Kind
    /// The input that was refused, as given (a subnet, a key path, a chain name).
    public var input: String
    /// What is wrong and what to do, in one or two sentences.
    public var message: String

    public init(_ kind: Kind, input: String, _ message: String) {
        self.kind = kind
        self.input = input
        self.message = message
    }

    public var description: String { message }
}
