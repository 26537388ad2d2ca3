/// What went wrong while building, using or removing a lab topology.
///
/// The lab (``LabTopology``, ``TCPResponder``, ``TCPProbe``) is the harness `natgate demo` and the
/// end-to-end tests share; its errors name the command or call that failed and what it printed,
/// so a person can rerun it by hand.
public struct LabError: Error, Sendable, CustomStringConvertible {
    /// The command line or system call that failed, such as `ip -n natgate-lab-1-1-host link set eth0 up`.
    public var operation: String
    /// What failed and what to do about it.
    public var message: String

    /// An error of `operation`, saying `message`.
    public init(operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}
