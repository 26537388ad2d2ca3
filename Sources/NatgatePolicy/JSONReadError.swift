/// Why a JSON text could not be read, and where.
struct JSONReadError: Error, Hashable, Sendable {
    enum Reason: Hashable, Sendable {
        /// Not JSON: `problem` says what was found where, `advice` what to do.
        case syntax(problem: String, advice: String)
        /// An object has this key twice.
        case duplicateKey(String)
    }

    var reason: Reason
    /// 1-based line of the offending character (lines end at `\n`).
    var line: Int
    /// 1-based column of the offending character, counted in Unicode scalars.
    var column: Int
    /// The object keys and array indexes leading to the value being read.
    var path: [JSONPathComponent]
}
