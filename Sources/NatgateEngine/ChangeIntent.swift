#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// A change to the gateways natgate began in a namespace and did not finish (it was killed, or
/// could not put the kernel back after a failure): the operations it was making, oldest first.
public struct InterruptedChange: Hashable, Sendable, CustomStringConvertible {
    /// What was asked, oldest first: the next change applies these before its own.
    public var operations: [GatewayController.Operation]
    /// The process that wrote the record.
    public var pid: Int32

    /// A record of `operations`, made by process `pid`.
    public init(operations: [GatewayController.Operation], pid: Int32) {
        self.operations = operations
        self.pid = pid
    }

    /// `apply (3 gateways)`, or `enable …, then disable …`.
    public var description: String { operations.map(\.description).joined(separator: ", then ") }

    /// What to run to finish it: the last `apply` or `flush` again, or any verb (it completes
    /// the recorded operations before its own).
    public var advice: String {
        switch operations.last {
        case .apply?: "run `natgate apply` with the policy again (or any enable, disable, apply or flush: it completes the change first)"
        case .flush?: "run `natgate flush` again"
        default: "run the same `natgate` command again (or any enable, disable, apply or flush: it completes the change first)"
        }
    }
}

/// Where the kernel store records a change while it commits it: a file per network namespace in
/// natgate's state directory (`$NATGATE_STATE_DIRECTORY`, else `/run/natgate`), written atomically
/// before the first commit and removed after the last. Finding one means a change was
/// interrupted between its commits: `status` says so and the next change completes it.
///
/// The record holds the operations, not the tables: an `apply` of 10,000 gateways is one compact
/// JSON object per gateway (only the options that differ from the defaults), written only when a
/// change commits something. Memory stores keep no record (their `intentLog` is nil), so a
/// controller over one never writes to the host's state directory.
public struct ChangeIntentLog: Sendable {
    /// The directory of state files, shared with `Forwarding`.
    public var directory: String

    /// A log whose records live in `directory`: by default natgate's state directory,
    /// `$NATGATE_STATE_DIRECTORY` when set, else `/run/natgate`.
    public init(directory: String = Forwarding.defaultDirectory) {
        self.directory = directory
    }

    /// The record of the calling thread's network namespace.
    public func path() throws -> String {
        let namespace = try NetworkNamespaceIdentity.current()
        return "\(directory)/netns-\(namespace.device)-\(namespace.inode).change.json"
    }

    /// The change recorded for the calling thread's namespace, nil when there is none (or the
    /// record is of an earlier namespace that had the same inode).
    public func interrupted() throws -> InterruptedChange? {
        let path = try path()
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let stored: StoredIntent
        do {
            stored = try JSONDecoder().decode(StoredIntent.self, from: data)
        } catch {
            throw NatgateError(
                .system,
                "natgate's record of an unfinished change, \(path), is not valid (\(error)). Check the gateways with `natgate status`, make them what you want with `natgate apply`, then remove the file.")
        }
        guard stored.version == 1 else {
            throw NatgateError(.system, "natgate's record of an unfinished change, \(path), is of version \(stored.version), which this natgate does not read. Finish the change with the natgate that wrote it, or make the gateways what you want with `natgate apply` and remove the file.")
        }
        if let recorded = stored.cookie, let cookie = try NetworkNamespaceIdentity.current().cookie, recorded != cookie { return nil }
        return InterruptedChange(operations: try stored.operations.map { try $0.operation(in: path) }, pid: stored.pid)
    }

    /// Records `operations` for the calling thread's namespace, replacing any earlier record.
    public func record(_ operations: [GatewayController.Operation]) throws {
        try record(encoded: ChangeIntentLog.encode(operations))
    }

    /// The operations as the record holds them (the part after its header).
    static func encode(_ operations: [GatewayController.Operation]) -> [UInt8] {
        var writer = RecordWriter()
        for (index, operation) in operations.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.write(operation)
        }
        return writer.bytes
    }

    /// Records operations already encoded by `encode`.
    func record(encoded operations: [UInt8]) throws {
        let namespace = try NetworkNamespaceIdentity.current()
        let path = try path()
        var header = "{\"version\":1,\"pid\":\(getpid())"
        if let cookie = namespace.cookie { header += ",\"cookie\":\(cookie)" }
        header += ",\"operations\":["
        let bytes = Array(header.utf8) + operations + Array("]}\n".utf8)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw ChangeIntentLog.failure("Creating", directory, errno) }
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw ChangeIntentLog.failure("Creating", temporary, errno) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let writeErrno = errno
        let synced = fsync(fd)
        close(fd)
        if written != bytes.count || synced != 0 {
            unlink(temporary)
            throw ChangeIntentLog.failure("Writing", temporary, written < 0 || synced != 0 ? writeErrno : EIO)
        }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw ChangeIntentLog.failure("Renaming onto", path, code)
        }
    }

    /// Removes the record of the calling thread's namespace: the change is complete.
    public func clear() throws {
        let path = try path()
        if unlink(path) != 0 && errno != ENOENT { throw ChangeIntentLog.failure("Removing", path, errno) }
    }

    private static func failure(_ verb: String, _ path: String, _ code: Int32) -> NatgateError {
        NatgateError(.system, "\(verb) natgate's record of the change in progress, \(path), failed: \(String(cString: strerror(code))). natgate changes nothing without it: check that the state directory (NATGATE_STATE_DIRECTORY, else /run/natgate) is writable.")
    }
}

/// Writes the record's JSON as bytes: an `apply` of 10,000 gateways is written before the first
/// commit, so this is kept cheap (IPv4 subnets are formatted by hand).
private struct RecordWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: StaticString) { text.withUTF8Buffer { bytes.append(contentsOf: $0) } }

    mutating func write(_ operation: GatewayController.Operation) {
        switch operation {
        case .enable(let gateway):
            raw("{\"verb\":\"enable\",\"gateway\":")
            write(gateway)
            raw("}")
        case .disable(let key):
            raw("{\"verb\":\"disable\",\"subnet\":")
            network(key.subnet)
            raw(",\"uplink\":")
            string(key.uplink.rawValue)
            raw("}")
        case .apply(let set):
            raw("{\"verb\":\"apply\",\"gateways\":[")
            bytes.reserveCapacity(bytes.count + 48 * set.count)
            for (index, gateway) in set.gateways.enumerated() {
                if index > 0 { raw(",") }
                write(gateway)
            }
            raw("]}")
        case .flush:
            raw("{\"verb\":\"flush\"}")
        }
    }

    /// A gateway as a policy file holds it, with only the options that differ from the defaults.
    mutating func write(_ gateway: Gateway) {
        raw("{\"subnet\":")
        network(gateway.subnet)
        raw(",\"uplink\":")
        string(gateway.uplink.rawValue)
        if let via = gateway.via {
            raw(",\"via\":")
            string(via.rawValue)
        }
        if gateway.inbound != .established {
            raw(",\"inbound\":")
            string(gateway.inbound.rawValue)
        }
        if !gateway.exclude.isEmpty {
            raw(",\"exclude\":[")
            for (index, network) in gateway.exclude.enumerated() {
                if index > 0 { raw(",") }
                self.network(network)
            }
            raw("]")
        }
        if let snatTo = gateway.snatTo {
            raw(",\"snatTo\":")
            string(snatTo.description)
        }
        if let ports = gateway.ports {
            raw(",\"ports\":")
            string(ports.description)
        }
        if gateway.randomFully { raw(",\"randomFully\":true") }
        raw("}")
    }

    mutating func network(_ network: IPNetwork) {
        guard case .v4(let v4) = network, let prefix = v4.prefixLength else { return string(network.description) }
        let address = v4.address.rawValue
        raw("\"")
        for shift in [24, 16, 8, 0] as [UInt32] {
            decimal((address >> shift) & 0xFF)
            if shift > 0 { raw(".") }
        }
        raw("/")
        decimal(UInt32(prefix))
        raw("\"")
    }

    mutating func decimal(_ value: UInt32) {
        if value >= 100 { bytes.append(UInt8(48 + value / 100)) }
        if value >= 10 { bytes.append(UInt8(48 + value / 10 % 10)) }
        bytes.append(UInt8(48 + value % 10))
    }

    /// A JSON string (interface names may hold quotes or backslashes).
    mutating func string(_ value: String) {
        bytes.append(0x22)
        for byte in value.utf8 {
            switch byte {
            case 0x22, 0x5C: bytes += [0x5C, byte]
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }
}

/// The record as read back.
private struct StoredIntent: Decodable {
    struct StoredOperation: Decodable {
        var verb: String
        var gateway: Gateway?
        var gateways: [Gateway]?
        var subnet: IPNetwork?
        var uplink: InterfaceName?

        func operation(in path: String) throws -> GatewayController.Operation {
            switch verb {
            case "enable": if let gateway { return .enable(gateway) }
            case "disable": if let subnet, let uplink { return .disable(Gateway.Key(subnet: subnet, uplink: uplink)) }
            case "apply": if let gateways { return .apply(try GatewaySet(gateways)) }
            case "flush": return .flush
            default: break
            }
            throw NatgateError(.system, "natgate's record of an unfinished change, \(path), holds an operation it does not know (\(verb)). Make the gateways what you want with `natgate apply`, then remove the file.")
        }
    }

    var version: Int
    var pid: Int32
    var cookie: UInt64?
    var operations: [StoredOperation]
}

/// One change's use of a store's `ChangeIntentLog`: reads what an interrupted change left, writes
/// the record before the first commit (once), and removes it after the last.
final class ChangeIntentWriter {
    let log: ChangeIntentLog?
    let store: any RuleStore
    /// The operations an interrupted change left, which this change completes first.
    private(set) var pending: [GatewayController.Operation] = []
    /// What this change records: the pending operations and its own (an `apply` or `flush`
    /// makes them moot).
    private(set) var operations: [GatewayController.Operation] = []
    private var written = false

    init(log: ChangeIntentLog?, store: any RuleStore) {
        self.log = log
        self.store = store
    }

    /// The record's operations, encoded on another thread while the change reads the tables:
    /// for an `apply` of 10,000 gateways that is about a tenth of the change.
    private var encoding: (done: DispatchSemaphore, text: EncodedOperations)?
    private final class EncodedOperations: @unchecked Sendable { var text: [UInt8] = [] }

    /// Reads the record an interrupted change left; returns its operations (empty when none).
    func load(then operation: GatewayController.Operation) throws -> [GatewayController.Operation] {
        guard let log else { return [] }
        pending = try store.inNamespace { try log.interrupted() }?.operations ?? []
        switch operation {
        case .apply, .flush: operations = [operation]
        case .enable, .disable: operations = pending + [operation]
        }
        let done = DispatchSemaphore(value: 0)
        let encoded = EncodedOperations()
        let operations = self.operations
        Thread.detachNewThread {
            encoded.text = ChangeIntentLog.encode(operations)
            done.signal()
        }
        encoding = (done, encoded)
        return pending
    }

    /// Records the change, before its first commit; later calls do nothing.
    func begin() throws {
        guard let log, !written, let encoding else { return }
        encoding.done.wait()
        encoding.done.signal()
        let text = encoding.text.text
        try store.inNamespace { try log.record(encoded: text) }
        written = true
    }

    /// The change is complete: removes the record (this change's, or the one it completed).
    func finish() throws {
        guard let log, written || !pending.isEmpty else { return }
        try store.inNamespace { try log.clear() }
        written = false
        pending = []
    }

    /// The change failed and the kernel is as it was before it: the record goes back to what it
    /// was (the interrupted change it found, or none).
    func abandon() {
        guard let log, written else { return }
        let pending = self.pending
        try? store.inNamespace { pending.isEmpty ? try log.clear() : try log.record(pending) }
        written = false
    }
}

/// A change that failed after committing part of a family's tables and could not put them back:
/// the kernel holds part of it, and the record of the change stays for the next one to complete.
struct UnfinishedChange: Error, CustomStringConvertible {
    var family: Family
    var failure: any Error
    var undo: any Error

    /// Whether `error` says the kernel holds part of a change: this, or a kernel rollback that failed.
    static func leftPartOfAChange(_ error: any Error) -> Bool {
        error is UnfinishedChange || (error as? any BackendError)?.leftPartOfAChange == true
    }

    var description: String {
        "The \(family) change failed (\(failure)), and putting back the nat table natgate had already committed failed too (\(undo)): the kernel holds part of the change. `natgate status` shows it; run the change again to complete it."
    }
}
