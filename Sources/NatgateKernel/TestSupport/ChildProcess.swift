import CIPTC
import Glibc

// TEST SUPPORT: a minimal child process runner for ThrowawayNamespace.

/// A child started with `posix_spawn`, its three standard streams connected to pipes.
struct ChildProcess {
    let pid: pid_t
    let input: Int32
    let output: Int32
    let errors: Int32

    init(executable: String, arguments: [String], environment: [String: String]) throws(KernelError) {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe2(&inPipe, O_CLOEXEC) == 0, pipe2(&outPipe, O_CLOEXEC) == 0, pipe2(&errPipe, O_CLOEXEC) == 0 else {
            throw KernelError(.system, "Could not create pipes for `\(executable)`.", operation: .init(call: "pipe2"), errno: errno)
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
            throw KernelError(.system, "Could not start `\(executable)`.", operation: .init(call: "posix_spawn"), errno: result)
        }
        pid = child
        input = inPipe[1]
        output = outPipe[0]
        errors = errPipe[0]
    }

    /// Writes `stdin`, reads both outputs to their end, and waits for the child.
    func communicate(input stdin: [UInt8]) -> ThrowawayNamespace.CommandResult {
        var pending = stdin[...]
        var inputOpen = true
        if pending.isEmpty { close(input); inputOpen = false }
        var out: [UInt8] = [], err: [UInt8] = []
        var open = [output: true, errors: true]
        var buffer = [UInt8](repeating: 0, count: 65536)
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
                    } else if count == 0 || errno != EINTR {
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
        return ThrowawayNamespace.CommandResult(
            status: exitCode,
            standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: err, as: UTF8.self))
    }
}
