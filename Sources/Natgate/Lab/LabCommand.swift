import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the system tools the lab builds its topology with (`ip` from iproute2), capturing their
/// output, and turns a failure into a ``LabError`` that shows the command line and what it printed.
enum LabCommand {
    /// Where tools are looked for after `$PATH`: root's tools live in `sbin`, which a user's `$PATH`
    /// often lacks.
    private static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The full path of `tool`, searched in `$PATH` and then the `sbin` directories.
    static func locate(_ tool: String) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        for directory in path + fallbackDirectories {
            let candidate = directory + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a finished command printed and how it exited.
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs `arguments[0]` with the rest as its arguments and waits for it, whatever its exit status.
    ///
    /// Uses `posix_spawn` and `waitpid` directly: Foundation's `Process.waitUntilExit` can wait
    /// forever on Linux when several threads start processes at once, as parallel tests do.
    static func execute(_ arguments: [String]) throws -> Output {
        let commandLine = arguments.joined(separator: " ")
        guard let tool = arguments.first, let executable = locate(tool) else {
            throw LabError(
                operation: commandLine,
                "'\(arguments.first ?? "")' is not installed: install iproute2 and iptables (Scripts/install-deps does).")
        }
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe2(&outputPipe, O_CLOEXEC) == 0, pipe2(&errorPipe, O_CLOEXEC) == 0 else {
            let reason = errnoText()
            for fd in outputPipe + errorPipe where fd >= 0 { close(fd) }
            throw LabError(operation: commandLine, "could not make a pipe: \(reason)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments.dropFirst()).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw LabError(operation: commandLine, "could not start \(executable): \(errnoText(spawned))")
        }
        let (output, error) = drain(outputPipe[0], errorPipe[0])
        close(outputPipe[0])
        close(errorPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import: a signal shows as 128 + its number.
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(
            status: exitStatus,
            standardOutput: String(decoding: output, as: UTF8.self),
            standardError: String(decoding: error, as: UTF8.self))
    }

    /// Reads two pipes to their ends at once, so that neither can fill and stall the writer.
    private static func drain(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var open = [true, true]
        let fds = [first, second]
        var buffer = [UInt8](repeating: 0, count: 16384)
        while open[0] || open[1] {
            var pollers = (0..<2).map { pollfd(fd: open[$0] ? fds[$0] : -1, events: Int16(POLLIN), revents: 0) }
            if poll(&pollers, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where open[index] && pollers[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index], $0.baseAddress, $0.count) }
                if count > 0 {
                    collected[index] += buffer[0..<count]
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[index] = false
                }
            }
        }
        return (collected[0], collected[1])
    }

    /// glibc's `pipe2`, which its Swift overlay hides behind `_GNU_SOURCE`.
    private static let pipe2: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pipe2") else {
            return { _, _ in errno = ENOSYS; return -1 }
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

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
