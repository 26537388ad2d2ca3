import CIPTC
import NatgateModel

/// An IPv4 libiptc handle (`struct xtc_handle *` from `iptc_init`).
typealias IPv4TableHandle = TableHandle<IPv4Calls>
/// An IPv6 libiptc handle (`struct xtc_handle *` from `ip6tc_init`).
typealias IPv6TableHandle = TableHandle<IPv6Calls>

/// A snapshot of one table of one family that libiptc holds in memory, which changes edit and
/// `commit` sends to the kernel as one atomic table replace.
///
/// The handle owns the C handle: it is freed exactly once, when the value goes away, and since
/// `commit` consumes the value it cannot be committed twice (libiptc does not support that).
/// The socket libiptc opens in `init` belongs to the network namespace of the calling thread; the
/// handle is used from that thread only.
struct TableHandle<Calls: LibiptcCalls>: ~Copyable {
    let raw: OpaquePointer
    let table: TableName

    /// Takes a snapshot of `table`. The corresponding C function is `iptc_init`.
    init(_ table: TableName) throws(KernelError) {
        switch Calls.initialize(table: table.rawValue) {
        case .success(let raw):
            self.raw = raw
            self.table = table
        case .failure(let failure):
            throw KernelError.libiptc(failure, KernelError.Operation(family: Calls.family, table: table))
        }
    }

    deinit { Calls.free(raw) }

    var family: Family { Calls.family }

    func operation(_ chain: String?, position: Int? = nil) -> KernelError.Operation {
        KernelError.Operation(family: Calls.family, table: table, chain: chain, rulePosition: position)
    }

    /// The chains, built-in ones first in hook order, then user chains sorted by name.
    var chainNames: [String] { Calls.chainNames(raw) }

    func isBuiltin(_ chain: String) -> Bool { Calls.isBuiltin(chain: chain, raw) }

    /// The policy and counters of a built-in chain; nil for a user chain.
    func policy(_ chain: String) -> (name: String, counters: xt_counters)? { Calls.policy(chain: chain, raw) }

    /// Calls `body` with each rule entry of `chain`, in order; the pointer is valid during the call.
    func forEachEntry<E: Error>(_ chain: String, _ body: (UnsafeRawPointer) throws(E) -> Void) throws(E) {
        try Calls.forEachEntry(chain: chain, raw, body)
    }

    /// What libiptc says the entry's target is: a verdict, a chain's name, an extension's name, or
    /// the empty string for a rule without target.
    func targetLabel(_ entry: UnsafeRawPointer) -> String { Calls.targetLabel(entry, raw) }

    /// Inserts `entry` (a complete `ipt_entry`/`ip6t_entry`) before 0-based `position`.
    func insert(_ entry: [UInt8], chain: String, at position: Int) throws(KernelError) {
        let result = entry.withUnsafeBytes { Calls.insertEntry(chain: chain, $0.baseAddress!, at: UInt32(position), raw) }
        try check(result, chain, position + 1)
    }

    /// Inserts `entry` (a complete `ipt_entry`/`ip6t_entry`) before 0-based `position`.
    func insert(_ entry: ArraySlice<UInt8>, chain: String, at position: Int) throws(KernelError) {
        let result = entry.withUnsafeBytes { Calls.insertEntry(chain: chain, $0.baseAddress!, at: UInt32(position), raw) }
        try check(result, chain, position + 1)
    }

    func append(_ entry: [UInt8], chain: String) throws(KernelError) {
        let result = entry.withUnsafeBytes { Calls.appendEntry(chain: chain, $0.baseAddress!, raw) }
        try check(result, chain, nil)
    }

    /// Deletes the rule at 0-based `position`.
    func delete(chain: String, at position: Int) throws(KernelError) {
        try check(Calls.deleteEntry(chain: chain, at: UInt32(position), raw), chain, position + 1)
    }

    func flush(chain: String) throws(KernelError) { try check(Calls.flushEntries(chain: chain, raw), chain, nil) }

    func createChain(_ chain: String) throws(KernelError) { try check(Calls.createChain(chain, raw), chain, nil) }

    func deleteChain(_ chain: String) throws(KernelError) { try check(Calls.deleteChain(chain, raw), chain, nil) }

    /// Sets a built-in chain's policy; nil counters keep the chain's own.
    func setPolicy(_ chain: String, _ policy: Policy, counters: Counters?) throws(KernelError) {
        let c = counters.map { xt_counters(pcnt: $0.packets, bcnt: $0.bytes) }
        try check(Calls.setPolicy(chain: chain, policy: policy.rawValue, counters: c, raw), chain, nil)
    }

    /// Sets the counters of the rule at 0-based `position`.
    func setCounters(chain: String, at position: Int, _ counters: Counters) throws(KernelError) {
        let c = xt_counters(pcnt: counters.packets, bcnt: counters.bytes)
        // Unlike insert and delete, iptc_set_counter counts rules from 1 (`iptcc_get_rule_num`).
        try check(Calls.setCounter(chain: chain, at: UInt32(position + 1), counters: c, raw), chain, position + 1)
    }

    /// Sends the edited table to the kernel as one atomic replace, then frees the handle.
    /// The corresponding C function is `iptc_commit`.
    consuming func commit() throws(KernelError) {
        try check(Calls.commit(raw), nil, nil)
    }

    /// Sends the edited table to the kernel as `commit` does, but leaves the handle to its owner:
    /// after a failure libiptc's snapshot still holds the table it tried to commit (its rules keep
    /// their chains and targets), which can be read before the handle is dropped. The handle must
    /// not be committed again. The corresponding C function is `iptc_commit`.
    func commitKeepingSnapshot() throws(KernelError) {
        try check(Calls.commit(raw), nil, nil)
    }

    private func check(_ result: Result<Void, LibiptcFailure>, _ chain: String?, _ position: Int?) throws(KernelError) {
        if case .failure(let failure) = result {
            throw KernelError.libiptc(failure, operation(chain, position: position))
        }
    }
}
