import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with posix_spawn and waitpid, its standard input, output and
/// error in files.
///
/// Foundation's `Process` waits for SIGCHLD, which never arrives when the tests run under
/// `unshare --net` as `Scripts/test` runs them (the child stays a zombie and the test hangs); this
/// reaps the child itself and shares no pipe with any other child.
enum SaveTextChildProcess {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static func run(_ path: String, _ arguments: [String], input: String = "", environment: [String: String]? = nil) throws -> Result {
        let directory = FileManager.default.temporaryDirectory
        let id = "natgate-child-\(getpid())-\(UUID().uuidString)"
        let inputFile = directory.appendingPathComponent("\(id).in").path
        let outputFile = directory.appendingPathComponent("\(id).out").path
        let errorFile = directory.appendingPathComponent("\(id).err").path
        try Data(input.utf8).write(to: URL(fileURLWithPath: inputFile))
        defer { for file in [inputFile, outputFile, errorFile] { unlink(file) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputFile, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }

        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw NSError(domain: "ChildProcess", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "cannot run \(path): \(String(cString: strerror(spawned)))"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        let error = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        return Result(status: code, output: output, error: error)
    }
}
