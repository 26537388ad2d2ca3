import Foundation
import NatgateModel
import NatgatePolicy

/// The iptables-save lines a change adds to and removes from the kernel's tables.
///
/// Lines are printed as `iptables-legacy-save` prints them, without counters; chain declarations
/// (`:NATGATE-FORWARD - [0:0]`) count as lines too. A plan's lines are exactly what the change
/// makes differ in `iptables-legacy-save`'s output, ignoring counters.
public struct Plan: Hashable, Sendable, Codable, CustomStringConvertible {
    /// One table's lines.
    public struct TableChange: Hashable, Sendable, Codable {
        /// The family of the table.
        public var family: Family
        /// The table whose lines change.
        public var table: TableName
        /// The lines in diff order, each starting with `-` (removed) or `+` (added).
        public var lines: [String]

        /// The lines removed, without their `-`.
        public var removed: [String] { lines.filter { $0.hasPrefix("-") }.map { String($0.dropFirst()) } }
        /// The lines added, without their `+`.
        public var added: [String] { lines.filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) } }
    }

    /// The changed tables, in the order the change commits them.
    public var tables: [TableChange]

    /// A plan of these table changes.
    public init(tables: [TableChange] = []) { self.tables = tables }

    enum CodingKeys: String, CodingKey { case tables }

    /// The plan as `natgate plan … --json` prints it, `schemaVersion` and `version` first when it is
    /// the whole document (see `OutputEnvelope`); inside a report, only `tables`.
    public func encode(to encoder: any Encoder) throws {
        try OutputEnvelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tables, forKey: .tables)
    }

    /// Whether the change would leave every table as it is.
    public var isEmpty: Bool { tables.allSatisfy { $0.lines.isEmpty } }

    /// The plan as text: a `# ipv4 nat` heading per changed table, then its lines.
    public var description: String {
        var text = ""
        for change in tables where !change.lines.isEmpty {
            text += "# \(change.family) \(change.table)\n"
            for line in change.lines { text += line + "\n" }
        }
        return text
    }

    /// The lines that differ between two versions of one table; see `TableDiff`.
    public static func diff(from before: Table, to after: Table) -> TableChange {
        TableChange(family: after.family, table: after.name, lines: TableDiff.lines(from: before, to: after))
    }
}

/// A plan rendered the first time it is asked for, then kept.
final class LazyPlan: @unchecked Sendable {
    private let lock = NSLock()
    private var make: (@Sendable () -> Plan)?
    private var made: Plan?

    init(_ make: @escaping @Sendable () -> Plan) { self.make = make }

    var value: Plan {
        lock.withLock {
            if let made { return made }
            let plan = make!()
            made = plan
            make = nil
            return plan
        }
    }
}
