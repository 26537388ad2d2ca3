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

    /// One family's ip set lines: `+create NAME hash:net,iface family inet`, `+add NAME MEMBER`,
    /// `-add NAME MEMBER`, `-create NAME TYPE` (destroyed), in the order the change makes them.
    public struct SetChange: Hashable, Sendable, Codable {
        /// The family whose sets change.
        public var family: Family
        /// The `ipset` lines, `-`/`+` prefixed, in the order the change makes them.
        public var lines: [String]

        /// A change given directly.
        public init(family: Family, lines: [String]) {
            self.family = family
            self.lines = lines
        }
    }

    /// The changed tables, in the order the change commits them.
    public var tables: [TableChange]
    /// The changed ip sets (a store with sets: `RuleStore.ipSets`), by family.
    public var sets: [SetChange]

    /// A plan of these table changes.
    public init(tables: [TableChange] = [], sets: [SetChange] = []) {
        self.tables = tables
        self.sets = sets
    }

    enum CodingKeys: String, CodingKey { case tables, sets }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tables = try container.decode([TableChange].self, forKey: .tables)
        sets = try container.decodeIfPresent([SetChange].self, forKey: .sets) ?? []
    }

    /// The plan as `natgate plan … --json` prints it, `schemaVersion` and `version` first when it is
    /// the whole document (see `OutputEnvelope`); inside a report, only `tables`.
    public func encode(to encoder: any Encoder) throws {
        try OutputEnvelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tables, forKey: .tables)
        if !sets.isEmpty { try container.encode(sets, forKey: .sets) }
    }

    /// Whether the change would leave every table and set as it is.
    public var isEmpty: Bool { tables.allSatisfy { $0.lines.isEmpty } && sets.allSatisfy { $0.lines.isEmpty } }

    /// The plan as text: a `# ipv4 ipset` heading per family whose sets change, then a
    /// `# ipv4 nat` heading per changed table, each with its lines.
    public var description: String {
        var text = ""
        for change in sets where !change.lines.isEmpty {
            text += "# \(change.family) ipset\n"
            for line in change.lines { text += line + "\n" }
        }
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

/// A value made the first time it is asked for, then kept.
final class LazyValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var make: (@Sendable () -> Value)?
    private var made: Value?

    init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    var value: Value {
        lock.withLock {
            if let made { return made }
            let value = make!()
            made = value
            make = nil
            return value
        }
    }
}
