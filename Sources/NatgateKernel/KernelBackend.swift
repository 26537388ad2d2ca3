import Logging
import NatgateModel

/// natgate's way into the kernel's legacy iptables tables of one family, through libiptc.
///
/// - `read(_:)` returns a table as a model `Table` (chains in iptables-save order, policies,
///   counters, rules; unknown extensions carried byte for byte).
/// - `update(tables:_:)` changes tables through a closure over the model, under the xtables lock,
///   applying only the difference and committing each table atomically; see there.
/// - `replace(_:)` commits whole tables, as `iptables-legacy-restore` does.
///
/// Every call runs in `namespace` (see `NetworkNamespace.run`), so an embedding tool can configure
/// NAT inside a container's namespace without moving its own threads.
public struct KernelBackend: Sendable {
    /// The family whose tables the backend reads and writes (`iptables` or `ip6tables`).
    public var family: Family
    /// The network namespace every call runs in.
    public var namespace: NetworkNamespace
    /// The codecs that turn typed matches and targets into kernel payloads and back.
    public var codecs: KernelCodecRegistry
    /// The xtables lock writes take.
    public var lock: XtablesLock
    /// How many times `update` reads, re-runs its closure and commits again when another program
    /// changed the table between natgate's read and its commit (EAGAIN), before giving up.
    public var maximumAttempts: Int
    /// Where the backend logs retries and commits (at debug level).
    public var logger: Logger
    /// Test hooks; see `KernelBackend.TestHooks`.
    @_spi(Testing) public var testHooks: TestHooks

    /// A backend for `family`'s tables in `namespace`, encoding with `codecs`, taking `lock` for
    /// writes and trying an update up to `maximumAttempts` times when another program commits
    /// between natgate's read and its commit.
    public init(
        family: Family,
        namespace: NetworkNamespace = .current,
        codecs: KernelCodecRegistry = .standard,
        lock: XtablesLock = XtablesLock(),
        maximumAttempts: Int = 5,
        logger: Logger = Logger(label: "natgate.kernel")
    ) {
        self.family = family
        self.namespace = namespace
        self.codecs = codecs
        self.lock = lock
        self.maximumAttempts = max(1, maximumAttempts)
        self.logger = logger
        self.testHooks = TestHooks()
    }

    /// Points where a test can step in; nothing in natgate sets them.
    @_spi(Testing) public struct TestHooks: Sendable {
        /// Called on the namespace thread after a table's changes are applied to libiptc's
        /// snapshot and before it is committed, with the table and the 1-based attempt.
        public var beforeCommit: (@Sendable (TableName, Int) throws -> Void)?
        public init() {}
    }

    /// The raw entries of every rule of `table`, chain by chain, as the kernel holds them.
    /// Equivalent to reading the table with `IPT_SO_GET_ENTRIES`, without the chain heads and policies.
    public func rawEntries(_ table: TableName) throws -> [RawEntry] {
        try namespace.run {
            switch family {
            case .ipv4: try rawEntries(IPv4TableHandle(table))
            case .ipv6: try rawEntries(IPv6TableHandle(table))
            }
        }
    }

    func rawEntries<C>(_ handle: borrowing TableHandle<C>) throws(KernelError) -> [RawEntry] {
        var entries: [RawEntry] = []
        for chain in handle.chainNames {
            var position = 0
            try handle.forEachEntry(chain) { (pointer) throws(KernelError) in
                position += 1
                entries.append(try RawEntry(
                    family: C.family, table: handle.table, chain: chain, position: position,
                    bytes: KernelBackend.copyEntry(pointer, layout: .of(C.family)), targetLabel: handle.targetLabel(pointer)))
            }
        }
        return entries
    }

    /// Copies one entry (`next_offset` bytes) out of libiptc's snapshot.
    static func copyEntry(_ pointer: UnsafeRawPointer, layout: EntryLayout) -> [UInt8] {
        let size = Int(pointer.loadUnaligned(fromByteOffset: layout.nextOffset, as: UInt16.self))
        return Array(UnsafeRawBufferPointer(start: pointer, count: max(size, layout.headerSize)))
    }
}
