import CIPTC
import Glibc
import NatgateModel
import Synchronization

// Every libiptc call natgate makes goes through one thin wrapper in this file, as swift-system does
// with its syscalls: the wrapper calls the C function and, in the same expression, reads `errno`
// and libiptc's own explanation of it (`iptc_strerror`), before any other call can change them.
//
// libiptc keeps one process-wide variable (`iptc_fn`, the last function called) that
// `iptc_strerror` consults to choose its message; the wrappers therefore hold `libiptcMutex` from
// the call to the message, so that two threads working on different tables (or namespaces) cannot
// mix up each other's messages. Handles themselves are never shared between threads.

/// A libiptc call that failed: the function, the errno it left and libiptc's message for it.
struct LibiptcFailure: Error, Sendable {
    var function: String
    var errno: Int32
    var message: String
}

/// Serialises libiptc calls; see the comment at the top of this file.
let libiptcMutex = Mutex<Void>(())

/// The libiptc functions of one family. `IPv4Calls` wraps `iptc_*`, `IPv6Calls` `ip6tc_*`; both
/// take the same opaque handle type in C, so each family gets its own Swift type to keep them apart.
protocol LibiptcCalls {
    static var family: Family { get }
    /// `sizeof(struct ipt_entry)` or `sizeof(struct ip6t_entry)`.
    static var entryHeaderSize: Int { get }

    /// The corresponding C function is `iptc_init`.
    static func initialize(table: String) -> Result<OpaquePointer, LibiptcFailure>
    /// The corresponding C function is `iptc_free`.
    static func free(_ handle: OpaquePointer)
    /// The corresponding C functions are `iptc_first_chain` and `iptc_next_chain`.
    static func chainNames(_ handle: OpaquePointer) -> [String]
    /// The corresponding C function is `iptc_builtin`.
    static func isBuiltin(chain: String, _ handle: OpaquePointer) -> Bool
    /// The corresponding C function is `iptc_get_policy`; nil for a user-defined chain.
    static func policy(chain: String, _ handle: OpaquePointer) -> (name: String, counters: xt_counters)?
    /// The corresponding C functions are `iptc_first_rule` and `iptc_next_rule`.
    static func forEachEntry<E: Error>(chain: String, _ handle: OpaquePointer, _ body: (UnsafeRawPointer) throws(E) -> Void) throws(E)
    /// The corresponding C function is `iptc_get_target`: a verdict, a chain name, or an extension name.
    static func targetLabel(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> String
    /// The corresponding C function is `iptc_insert_entry` (`position` counts from 0).
    static func insertEntry(chain: String, _ entry: UnsafeRawPointer, at position: UInt32, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_append_entry`.
    static func appendEntry(chain: String, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_delete_num_entry` (`position` counts from 0).
    static func deleteEntry(chain: String, at position: UInt32, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_flush_entries`.
    static func flushEntries(chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_create_chain`.
    static func createChain(_ chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_delete_chain`.
    static func deleteChain(_ chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_set_policy`; nil counters keep the chain's own.
    static func setPolicy(chain: String, policy: String, counters: xt_counters?, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_set_counter` (`position` counts from 1, unlike insert and delete).
    static func setCounter(chain: String, at position: UInt32, counters: xt_counters, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
    /// The corresponding C function is `iptc_commit`.
    static func commit(_ handle: OpaquePointer) -> Result<Void, LibiptcFailure>
}

// MARK: - Result helpers (errno and message read in the same expression as the call)

@inline(__always)
private func succeededOrFailure(
    _ function: String, _ strerror: (Int32) -> UnsafePointer<CChar>?, _ call: () -> Int32
) -> Result<Void, LibiptcFailure> {
    libiptcMutex.withLock { _ in
        errno = 0
        if call() != 0 { return .success(()) }
        let code = errno
        return .failure(LibiptcFailure(function: function, errno: code, message: strerror(code).map { String(cString: $0) } ?? ""))
    }
}

@inline(__always)
private func handleOrFailure(
    _ function: String, _ strerror: (Int32) -> UnsafePointer<CChar>?, _ call: () -> OpaquePointer?
) -> Result<OpaquePointer, LibiptcFailure> {
    libiptcMutex.withLock { _ in
        errno = 0
        if let handle = call() { return .success(handle) }
        let code = errno
        return .failure(LibiptcFailure(function: function, errno: code, message: strerror(code).map { String(cString: $0) } ?? ""))
    }
}

@inline(__always)
private func locked<T>(_ call: () throws -> T) rethrows -> T {
    try libiptcMutex.withLock { _ in try call() }
}

// MARK: - IPv4: iptc_*

enum IPv4Calls: LibiptcCalls {
    static var family: Family { .ipv4 }
    static var entryHeaderSize: Int { MemoryLayout<ipt_entry>.size }

    static func initialize(table: String) -> Result<OpaquePointer, LibiptcFailure> {
        handleOrFailure("iptc_init", iptc_strerror) { iptc_init(table) }
    }

    static func free(_ handle: OpaquePointer) { locked { iptc_free(handle) } }

    static func chainNames(_ handle: OpaquePointer) -> [String] {
        locked {
            var names: [String] = []
            var name = iptc_first_chain(handle)
            while let current = name {
                names.append(String(cString: current))
                name = iptc_next_chain(handle)
            }
            return names
        }
    }

    static func isBuiltin(chain: String, _ handle: OpaquePointer) -> Bool {
        locked { iptc_builtin(chain, handle) != 0 }
    }

    static func policy(chain: String, _ handle: OpaquePointer) -> (name: String, counters: xt_counters)? {
        locked {
            var counters = xt_counters()
            guard let name = iptc_get_policy(chain, &counters, handle) else { return nil }
            return (String(cString: name), counters)
        }
    }

    static func forEachEntry<E: Error>(chain: String, _ handle: OpaquePointer, _ body: (UnsafeRawPointer) throws(E) -> Void) throws(E) {
        var entry = locked { iptc_first_rule(chain, handle) }
        while let current = entry {
            try body(UnsafeRawPointer(current))
            entry = locked { iptc_next_rule(current, handle) }
        }
    }

    static func targetLabel(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> String {
        locked {
            iptc_get_target(entry.assumingMemoryBound(to: ipt_entry.self), handle).map { String(cString: $0) } ?? ""
        }
    }

    static func insertEntry(chain: String, _ entry: UnsafeRawPointer, at position: UInt32, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_insert_entry", iptc_strerror) {
            iptc_insert_entry(chain, entry.assumingMemoryBound(to: ipt_entry.self), position, handle)
        }
    }

    static func appendEntry(chain: String, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_append_entry", iptc_strerror) {
            iptc_append_entry(chain, entry.assumingMemoryBound(to: ipt_entry.self), handle)
        }
    }

    static func deleteEntry(chain: String, at position: UInt32, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_delete_num_entry", iptc_strerror) { iptc_delete_num_entry(chain, position, handle) }
    }

    static func flushEntries(chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_flush_entries", iptc_strerror) { iptc_flush_entries(chain, handle) }
    }

    static func createChain(_ chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_create_chain", iptc_strerror) { iptc_create_chain(chain, handle) }
    }

    static func deleteChain(_ chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_delete_chain", iptc_strerror) { iptc_delete_chain(chain, handle) }
    }

    static func setPolicy(chain: String, policy: String, counters: xt_counters?, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        var counters = counters
        return succeededOrFailure("iptc_set_policy", iptc_strerror) {
            if counters == nil { return iptc_set_policy(chain, policy, nil, handle) }
            return iptc_set_policy(chain, policy, &counters!, handle)
        }
    }

    static func setCounter(chain: String, at position: UInt32, counters: xt_counters, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        var counters = counters
        return succeededOrFailure("iptc_set_counter", iptc_strerror) { iptc_set_counter(chain, position, &counters, handle) }
    }

    static func commit(_ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("iptc_commit", iptc_strerror) { iptc_commit(handle) }
    }
}

// MARK: - IPv6: ip6tc_*

enum IPv6Calls: LibiptcCalls {
    static var family: Family { .ipv6 }
    static var entryHeaderSize: Int { MemoryLayout<ip6t_entry>.size }

    static func initialize(table: String) -> Result<OpaquePointer, LibiptcFailure> {
        handleOrFailure("ip6tc_init", ip6tc_strerror) { ip6tc_init(table) }
    }

    static func free(_ handle: OpaquePointer) { locked { ip6tc_free(handle) } }

    static func chainNames(_ handle: OpaquePointer) -> [String] {
        locked {
            var names: [String] = []
            var name = ip6tc_first_chain(handle)
            while let current = name {
                names.append(String(cString: current))
                name = ip6tc_next_chain(handle)
            }
            return names
        }
    }

    static func isBuiltin(chain: String, _ handle: OpaquePointer) -> Bool {
        locked { ip6tc_builtin(chain, handle) != 0 }
    }

    static func policy(chain: String, _ handle: OpaquePointer) -> (name: String, counters: xt_counters)? {
        locked {
            var counters = xt_counters()
            guard let name = ip6tc_get_policy(chain, &counters, handle) else { return nil }
            return (String(cString: name), counters)
        }
    }

    static func forEachEntry<E: Error>(chain: String, _ handle: OpaquePointer, _ body: (UnsafeRawPointer) throws(E) -> Void) throws(E) {
        var entry = locked { ip6tc_first_rule(chain, handle) }
        while let current = entry {
            try body(UnsafeRawPointer(current))
            entry = locked { ip6tc_next_rule(current, handle) }
        }
    }

    static func targetLabel(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> String {
        locked {
            ip6tc_get_target(entry.assumingMemoryBound(to: ip6t_entry.self), handle).map { String(cString: $0) } ?? ""
        }
    }

    static func insertEntry(chain: String, _ entry: UnsafeRawPointer, at position: UInt32, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_insert_entry", ip6tc_strerror) {
            ip6tc_insert_entry(chain, entry.assumingMemoryBound(to: ip6t_entry.self), position, handle)
        }
    }

    static func appendEntry(chain: String, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_append_entry", ip6tc_strerror) {
            ip6tc_append_entry(chain, entry.assumingMemoryBound(to: ip6t_entry.self), handle)
        }
    }

    static func deleteEntry(chain: String, at position: UInt32, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_delete_num_entry", ip6tc_strerror) { ip6tc_delete_num_entry(chain, position, handle) }
    }

    static func flushEntries(chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_flush_entries", ip6tc_strerror) { ip6tc_flush_entries(chain, handle) }
    }

    static func createChain(_ chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_create_chain", ip6tc_strerror) { ip6tc_create_chain(chain, handle) }
    }

    static func deleteChain(_ chain: String, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_delete_chain", ip6tc_strerror) { ip6tc_delete_chain(chain, handle) }
    }

    static func setPolicy(chain: String, policy: String, counters: xt_counters?, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        var counters = counters
        return succeededOrFailure("ip6tc_set_policy", ip6tc_strerror) {
            if counters == nil { return ip6tc_set_policy(chain, policy, nil, handle) }
            return ip6tc_set_policy(chain, policy, &counters!, handle)
        }
    }

    static func setCounter(chain: String, at position: UInt32, counters: xt_counters, _ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        var counters = counters
        return succeededOrFailure("ip6tc_set_counter", ip6tc_strerror) { ip6tc_set_counter(chain, position, &counters, handle) }
    }

    static func commit(_ handle: OpaquePointer) -> Result<Void, LibiptcFailure> {
        succeededOrFailure("ip6tc_commit", ip6tc_strerror) { ip6tc_commit(handle) }
    }
}
