import Foundation
import NatgateModel

/// What a thread read, for the test to check.
final class SeenTexts: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func append(_ text: String) { lock.withLock { values.append(text) } }
    var all: [String] { lock.withLock { values } }
}

/// Counts commits and fails the one a test names.
final class FailingCommit: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [TableName] = []
    let failing: Int
    struct Injected: Error, CustomStringConvertible {
        var table: TableName
        var description: String { "injected failure before committing the \(table) table" }
    }

    /// Called with the commit's number (from 1) before it is made.
    let action: @Sendable (Int) -> Void

    init(failing: Int, action: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.failing = failing
        self.action = action
    }

    var tables: [TableName] { lock.withLock { seen } }

    func beforeCommit(_ table: TableName, _ attempt: Int) throws {
        let count = lock.withLock {
            seen.append(table)
            return seen.count
        }
        action(count)
        if count == failing { throw Injected(table: table) }
    }
}
