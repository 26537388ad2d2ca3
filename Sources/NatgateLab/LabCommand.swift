import Foundation

/// Runs the system tools the lab builds its topology with (`ip` from iproute2), capturing their
/// output, and turns a failure into a ``LabError`` that shows the command line and what it printed.
enum LabCommand {
    /// What a finished command printed and how it exited.
    typealias Output = ChildProcess.Output

    /// Runs `arguments[0]` with the rest as its arguments, an empty standard input, and waits for
    /// it, whatever its exit status.
    static func execute(_ arguments: [String]) throws(LabError) -> Output {
        do {
            return try ChildProcess.run(arguments)
        } catch where arguments.first.map({ ChildProcess.locate($0) == nil }) ?? true {
            throw LabError(
                operation: arguments.joined(separator: " "),
                "'\(arguments.first ?? "")' is not installed: install iproute2 and iptables (Scripts/install-deps does).")
        }
    }

    /// Runs the command and returns its standard output; a non-zero exit is a ``LabError`` carrying
    /// the command line and its standard error.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let result = try execute(arguments)
        guard result.status == 0 else {
            let said = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw LabError(
                operation: arguments.joined(separator: " "),
                "exited with status \(result.status)\(said.isEmpty ? "" : ": \(said)")")
        }
        return result.standardOutput
    }
}

/// A value shared between threads under a lock.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Changes the value under the lock and returns what `body` returns.
    func withValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&stored) }
    }
}
