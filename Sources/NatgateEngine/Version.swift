/// natgate's version, as `natgate --version` prints it.
///
/// One value for the library and the command, raised with each release (semantic versioning: the
/// policy file format, the CLI's exit codes and `--json` fields are the compatibility surface).
public enum NatgateVersion {
    /// `0.1.0`.
    public static let current = "0.1.0"
}
