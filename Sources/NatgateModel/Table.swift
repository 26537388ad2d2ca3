/// One of the x_tables tables natgate knows.
public enum TableName: String, Sendable, Hashable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    // Declared in the order iptables-legacy-save prints tables that exist.
    case raw
    case mangle
    case security
    case nat
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

    public func isBuiltin(_ chain: ChainName) -> Bool { builtinChains.contains(chain) }

    public var description: String { rawValue }

    public static func < (lhs: TableName, rhs: TableName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What a built-in chain does with a packet that reaches its end.
public enum Policy: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case accept = "ACCEPT"
    case drop = "DROP"

    public init(_ text: String) throws {
        guard let policy = Policy(rawValue: text) else {
            throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)) is not a chain policy: use ACCEPT or DROP.")
        }
        self = policy
    }

    public var description: String { rawValue }
}
