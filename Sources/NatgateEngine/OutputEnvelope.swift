/// The two fields every JSON document natgate prints begins with: `schemaVersion`, the version of
/// the shape described by `docs/natgate-output.schema.json`, and `version`, natgate's own.
///
/// `Report`, `Status`, `Plan` and `ErrorOutput` write them from their own encoders when they are
/// the top of the document (`encoder.codingPath` is empty), so a tool that encodes one of them gets
/// what `natgate … --json` prints; a plan inside a report does not repeat them.
public enum OutputEnvelope {
    /// `1`. Raised when a field is removed, renamed or changes meaning; a new field does not raise
    /// it, so consumers should ignore keys they do not know.
    public static let schemaVersion = 1

    enum Keys: String, CodingKey { case schemaVersion, version }

    /// Writes `schemaVersion` and `version` into the top-level object; nothing when `encoder` is
    /// below the top.
    static func encode(to encoder: any Encoder) throws {
        guard encoder.codingPath.isEmpty else { return }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(NatgateVersion.current, forKey: .version)
    }
}

/// A failed command as a JSON document, for `--json` on standard error:
/// `{"schemaVersion": 1, "version": "0.1.0", "error": {"message": …, "exitCode": 2, "meaning": "bad input"}}`.
public struct ErrorOutput: Sendable, Encodable {
    /// The `error` object of the document.
    public struct Details: Sendable, Encodable {
        /// The message the text form prints after `natgate: `.
        public var message: String
        /// The exit status the command ends with (2 bad input, 3 system refused, 64 usage).
        public var exitCode: Int32
        /// What the exit code means, in the words of `ErrorOutput.meaning(ofExitCode:)`.
        public var meaning: String
    }

    /// What failed.
    public var error: Details

    /// A failure saying `message` that ends the command with `exitCode`.
    public init(message: String, exitCode: Int32) {
        error = Details(message: message, exitCode: exitCode, meaning: ErrorOutput.meaning(ofExitCode: exitCode))
    }

    /// The error a library call threw, with its exit code.
    public init(_ error: NatgateError) { self.init(message: error.message, exitCode: error.exitCode) }

    /// The meaning of each exit status natgate's gateway verbs end with; `"error"` for others.
    public static func meaning(ofExitCode code: Int32) -> String {
        switch code {
        case 0: "done"
        case 1: "drift or an interrupted change"
        case 2: "bad input"
        case 3: "system refused"
        case 4: "nftables blocks a gateway"
        case 64: "usage"
        default: "error"
        }
    }

    enum CodingKeys: String, CodingKey { case error }

    public func encode(to encoder: any Encoder) throws {
        try OutputEnvelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(error, forKey: .error)
    }
}
