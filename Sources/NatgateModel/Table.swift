/// One of the x_tables tables natgate knows.
public enum TableName: String, Sendable, Hashable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    // Declared in the order iptables-legacy-save prints tables that exist.
    /// `raw`: before connection tracking (PREROUTING, OUTPUT).
    case raw
    /// `mangle`: packet alteration, at every hook.
    case mangle
    /// `security`: mandatory access control marks (INPUT, FORWARD, OUTPUT).
    case security
    /// `nat`: address translation, for the first packet of each connection.
    case nat
    /// `filter`: accepting and dropping (INPUT, FORWARD, OUTPUT).
    case filter

    /// Parses a table name, with an error that lists the valid ones.
    public init(_ text: String) throws {
        guard let table = TableName(rawValue: text) else {
            throw ModelError(
                .invalidTable, input: text,
                "\(ModelError.quote(text)) is not a table: use one of filter, nat, mangle, raw, security.")
        }
        self = table
    }

    /// The built-in chains, in the order iptables-save prints them.
    public var builtinChains: [ChainName] {
        switch self {
        case .filter, .security: [.input, .forward, .output]
        case .nat: [.prerouting, .input, .output, .postrouting]
        case .mangle: [.prerouting, .input, .forward, .output, .postrouting]
        case .raw: [.prerouting, .output]
        }
    }

    /// Whether `chain` is one of the table's built-in chains.
    public func isBuiltin(_ chain: ChainName) -> Bool { builtinChains.contains(chain) }

    public var description: String { rawValue }

    public static func < (lhs: TableName, rhs: TableName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What a built-in chain does with a packet that reaches its end.
public enum Policy: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Packets that reach the end are let through.
    case accept = "ACCEPT"
    /// Packets that reach the end are discarded.
    case drop = "DROP"

    /// A policy as iptables-save prints it.
    ///
    /// - Throws: `ModelError` (`.invalidValue`) for anything but `ACCEPT` and `DROP`.
    public init(_ text: String) throws {
        guard let policy = Policy(rawValue: text) else {
            throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)) is not a chain policy: use ACCEPT or DROP.")
        }
        self = policy
    }

    public var description: String { rawValue }
}
