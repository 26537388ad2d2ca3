import CNatgateLab
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one process runner of the lab, the tests and the benchmarks: starts a program with
/// `posix_spawn`, its three standard streams on pipes, writes its input, reads both outputs to
/// their ends and reaps it with `waitpid`.
///
/// Not Foundation's `Process`: its `waitUntilExit` can wait forever on Linux when several threads
/// start processes at once, as parallel tests do, and under `unshare --net` (as `Scripts/test`
/// runs) a child's exit can go unnoticed and the child stay a zombie. Every pipe is made
/// close-on-exec (`pipe2`), so a child another thread starts never inherits one and keeps it open.
///
/// ```swift
/// let result = try ChildProcess.run(["iptables-legacy-save", "-t", "nat"])
/// print(result.status, result.standardOutput)
/// ```
public struct ChildProcess {
    /// What a finished program printed and how it exited.
    public struct Output: Sendable {
        /// The exit status; a program killed by a signal shows as 128 + the signal's number.
        public var status: Int32
        /// Everything it wrote to standard output, as UTF-8 text.
        public var standardOutput: String
        /// Everything it wrote to standard error, as UTF-8 text.
        public var standardError: String
    }

    /// Where programs are looked for after `$PATH`: root's tools live in `sbin`, which a user's
    /// `$PATH` often lacks.
    private static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The full path of `tool`: itself when it names a path, otherwise the first executable of
    /// that name in `$PATH` or the `sbin` directories.
    public static func locate(_ tool: String) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        for directory in path + fallbackDirectories {
            let candidate = directory + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `arguments[0]` (found with ``locate(_:)``) with `arguments` as its argument vector and
    /// waits for it, whatever its exit status.
    ///
    /// - Parameters:
    ///   - arguments: the program's name or path, then its arguments.
    ///   - input: written to its standard input, which then closes; none gives it an empty one.
    ///   - environment: its whole environment; nil passes this process's own.
    /// - Throws: ``LabError`` when the program is not installed or cannot be started.
    public static func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws(LabError) -> Output {
        let commandLine = arguments.joined(separator: " ")
        guard let tool = arguments.first, let executable = locate(tool) else {
            throw LabError(
                operation: commandLine,
                "'\(arguments.first ?? "")' is not installed (not found in $PATH or sbin): Scripts/install-deps installs the tools the tests use.")
        }
        let child = try ChildProcess(
            executable: executable, arguments: arguments,
            environment: environment ?? ProcessInfo.processInfo.environment, commandLine: commandLine)
        return child.communicate(input: input.map { Array($0.utf8) } ?? [])
    }

    private let pid: pid_t
    private let input: Int32
    private let output: Int32
    private let errors: Int32

    private init(executable: String, arguments: [String], environment: [String: String], commandLine: String) throws(LabError) {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe2(&inPipe, O_CLOEXEC) == 0, pipe2(&outPipe, O_CLOEXEC) == 0, pipe2(&errPipe, O_CLOEXEC) == 0 else {
            let reason = String(cString: strerror(errno))
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw LabError(operation: commandLine, "could not make a pipe: \(reason)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears FD_CLOEXEC on the copies; every other pipe end closes at exec.
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard result == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw LabError(operation: commandLine, "could not start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        input = inPipe[1]
        output = outPipe[0]
        errors = errPipe[0]
    }

    /// Writes `stdin`, reads both outputs to their ends at once (so that neither pipe can fill and
    /// stall the child), and waits for the child.
    private func communicate(input stdin: [UInt8]) -> Output {
        var pending = stdin[...]
        var inputOpen = true
        if pending.isEmpty { close(input); inputOpen = false }
        var out: [UInt8] = [], err: [UInt8] = []
        var open = [output: true, errors: true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        // A child that exits before reading all its input must not kill this process.
        signal(SIGPIPE, SIG_IGN)
        while open.values.contains(true) || inputOpen {
            var fds: [pollfd] = []
            if inputOpen { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            for (fd, isOpen) in open where isOpen { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == input {
                    let written = pending.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                    if written > 0 { pending = pending.dropFirst(written) }
                    if written < 0 || pending.isEmpty { close(input); inputOpen = false }
                } else {
                    let count = read(entry.fd, &buffer, buffer.count)
                    if count > 0 {
                        if entry.fd == output { out += buffer[0..<count] } else { err += buffer[0..<count] }
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        close(entry.fd)
                        open[entry.fd] = false
                    }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which do not import: exit code in bits 8-15, signal in 0-6.
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(
            status: exitCode,
            standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: err, as: UTF8.self))
    }
}
