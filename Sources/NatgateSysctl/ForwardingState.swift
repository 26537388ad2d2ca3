#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NatgateModel

/// What natgate changed in one namespace's forwarding sysctls, so it can put them back.
package struct ForwardingRecord: Hashable, Sendable, Codable {
    /// One change: the value before natgate wrote, and the value it wrote.
    package struct Change: Hashable, Sendable, Codable {
        package var previous: String
        package var written: String
        package init(previous: String, written: String) {
            self.previous = previous
            self.written = written
        }
    }

    package var namespace: NetworkNamespaceIdentity
    package var changes: [SysctlKey: Change]

    package init(namespace: NetworkNamespaceIdentity, changes: [SysctlKey: Change] = [:]) {
        self.namespace = namespace
        self.changes = changes
    }

    enum CodingKeys: String, CodingKey { case namespace, changes }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        namespace = try container.decode(NetworkNamespaceIdentity.self, forKey: .namespace)
        let raw = try container.decode([String: Change].self, forKey: .changes)
        changes = [:]
        for (key, change) in raw { changes[try SysctlKey(key)] = change }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(namespace, forKey: .namespace)
        try container.encode(Dictionary(uniqueKeysWithValues: changes.map { ($0.key.description, $0.value) }), forKey: .changes)
    }
}

/// What a forwarding call did, for logs and reports.
public enum ForwardingOutcome: Hashable, Sendable, CustomStringConvertible {
    /// natgate wrote `written` where the value was `previous`, and recorded it.
    case changed(SysctlKey, previous: String, written: String)
    /// The value already was what natgate needed; nothing written or recorded.
    case alreadySet(SysctlKey, String)
    /// natgate put back the value it had recorded, over the value it had written.
    case restored(SysctlKey, from: String, to: String)
    /// natgate had recorded a change, but someone set the value since; left as it is.
    case leftAlone(SysctlKey, current: String, recordedWritten: String)
    /// natgate had not changed the key, so there is nothing to restore.
    case nothingRecorded(SysctlKey)

    public var description: String {
        switch self {
        case .changed(let key, let previous, let written): "\(key): \(previous) → \(written) (recorded, restored when the last gateway goes)"
        case .alreadySet(let key, let value): "\(key) is already \(value)"
        case .restored(let key, _, let value): "\(key) restored to \(value)"
        case .leftAlone(let key, let current, let written): "\(key) is \(current), not the \(written) natgate wrote: someone changed it since, left alone"
        case .nothingRecorded(let key): "\(key) was not changed by natgate: left as it is"
        }
    }
}

/// Turns forwarding on for natgate's gateways and puts it back when they are gone, recording what
/// it changed in a state file per network namespace under `/run/natgate`.
///
/// Every call acts on the calling thread's namespace: run it inside a namespace runner to act on
/// another one. The state file is written atomically (a temporary file renamed over it) under an
/// exclusive `flock`, so concurrent natgate processes do not lose each other's records.
public struct Forwarding: Sendable {
    /// Reads and writes the sysctls.
    public var sysctl: Sysctl
    /// The directory of state files: `$NATGATE_STATE_DIRECTORY` when set, else `/run/natgate`.
    public var directory: String

    /// Where state files go unless a caller says otherwise: `$NATGATE_STATE_DIRECTORY` when it is
    /// set and not empty (tests and embedding tools point it at a directory of their own), else
    /// `/run/natgate`.
    public static var defaultDirectory: String {
        if let directory = getenv("NATGATE_STATE_DIRECTORY").map({ String(cString: $0) }), !directory.isEmpty {
            return directory
        }
        return "/run/natgate"
    }

    /// Forwarding through `sysctl`, recording in `directory`.
    public init(sysctl: Sysctl = Sysctl(), directory: String = Forwarding.defaultDirectory) {
        self.sysctl = sysctl
        self.directory = directory
    }

    /// Sets `key` to 1 if it is not already, recording the previous value.
    ///
    /// When natgate already holds a record for the key (an earlier enable), the earlier previous
    /// value is kept: it is the one to restore.
    public func enable(_ key: SysctlKey) throws -> ForwardingOutcome {
        try withRecord { record in
            let current = try sysctl.read(key)
            if current == "1" { return .alreadySet(key, current) }
            try sysctl.write(key, "1")
            if record.changes[key] == nil {
                record.changes[key] = ForwardingRecord.Change(previous: current, written: "1")
            }
            return .changed(key, previous: current, written: "1")
        }
    }

    /// Puts back the value natgate recorded for `key`, if it recorded one and the value is still
    /// what natgate wrote; forgets the record either way.
    public func restore(_ key: SysctlKey) throws -> ForwardingOutcome {
        try withRecord { record in
            guard let change = record.changes[key] else { return .nothingRecorded(key) }
            let current = try sysctl.read(key)
            guard current == change.written else {
                record.changes[key] = nil
                return .leftAlone(key, current: current, recordedWritten: change.written)
            }
            try sysctl.write(key, change.previous)
            record.changes[key] = nil
            return .restored(key, from: current, to: change.previous)
        }
    }

    /// What natgate recorded for the calling thread's namespace (empty when nothing).
    package func record() throws -> ForwardingRecord {
        let namespace = try NetworkNamespaceIdentity.current()
        return try load(namespace) ?? ForwardingRecord(namespace: namespace)
    }

    /// The state file of the calling thread's namespace.
    package func stateFilePath() throws -> String { directory + "/" + (try NetworkNamespaceIdentity.current()).fileName }

    // MARK: State file

    private func withRecord<T>(_ body: (inout ForwardingRecord) throws -> T) throws -> T {
        let namespace = try NetworkNamespaceIdentity.current()
        try makeDirectory()
        let lockPath = directory + "/lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lock < 0 { throw SysctlError.system(.stateFile, "Opening", path: lockPath, errno: errno) }
        defer { close(lock) }
        if flock(lock, LOCK_EX) != 0 { throw SysctlError.system(.stateFile, "Locking", path: lockPath, errno: errno) }
        var record = try load(namespace) ?? ForwardingRecord(namespace: namespace)
        let before = record
        let result = try body(&record)
        if record != before { try save(record) }
        return result
    }

    private func load(_ namespace: NetworkNamespaceIdentity) throws -> ForwardingRecord? {
        let path = directory + "/" + namespace.fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let record = try? JSONDecoder().decode(ForwardingRecord.self, from: data) else {
            throw SysctlError(
                .stateFile, input: path,
                "natgate's state file \(path) is not valid: check its contents, or remove it if you are sure no natgate gateway is enabled in this namespace (forwarding will then not be restored).")
        }
        // The same inode with another cookie is a namespace that is gone: its record is stale.
        if let recorded = record.namespace.cookie, let cookie = namespace.cookie, recorded != cookie { return nil }
        return record
    }

    private func save(_ record: ForwardingRecord) throws {
        let path = directory + "/" + record.namespace.fileName
        if record.changes.isEmpty {
            if unlink(path) != 0 && errno != ENOENT { throw SysctlError.system(.stateFile, "Removing", path: path, errno: errno) }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(record) + Data([0x0A])
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw SysctlError.system(.stateFile, "Creating", path: temporary, errno: errno) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let writeErrno = errno
        let synced = fsync(fd)
        close(fd)
        if written != data.count || synced != 0 {
            unlink(temporary)
            throw SysctlError.system(.stateFile, "Writing", path: temporary, errno: written < 0 || synced != 0 ? writeErrno : EIO)
        }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw SysctlError.system(.stateFile, "Renaming onto", path: path, errno: code)
        }
    }

    private func makeDirectory() throws {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw SysctlError.system(.stateFile, "Creating", path: directory, errno: errno)
        }
    }
}
