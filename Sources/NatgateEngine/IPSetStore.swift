import Foundation
import NatgateModel
import NatgatePolicy

/// The kernel ip sets of one network namespace, as natgate keeps its gateways in them
/// (`GatewayCompiler.Datapath.ipSets`): a capability a `RuleStore` offers through
/// `RuleStore.ipSets`. Sets live beside both iptables backends (legacy x_tables and nf_tables use
/// the same sets through the xt `set` match), so one implementation serves every store.
///
/// natgate owns every set whose name starts with `natgate-` (`GatewayShape.setPrefix`): it
/// creates, fills, empties and destroys them, and reads the others never.
public protocol IPSetStore: Sendable {
    /// Every set named `natgate-*` in the namespace, by name, with its type, family and members.
    func natgateSets() throws -> [String: IPSetContents]
    /// Creates an empty `hash:net,iface` set of `family`. Equivalent to `ipset create`.
    func create(_ name: String, family: Family) throws
    /// Adds members that are not in the set. Equivalent to `ipset add` of each.
    func add(_ members: [NetIfaceMember], to name: String) throws
    /// Deletes members that are in the set. Equivalent to `ipset del` of each.
    func delete(_ members: [NetIfaceMember], from name: String) throws
    /// Destroys a set no rule uses. Equivalent to `ipset destroy`.
    func destroy(_ name: String) throws

    /// The names of the `natgate-*` sets, without reading their members. Equivalent to
    /// `ipset list -n`, kept to natgate's names.
    func natgateSetNames() throws -> [String]
    /// A set's type, family and number of members, without its members; nil when there is no set
    /// of that name. Equivalent to `ipset list -terse NAME`.
    func summary(_ name: String) throws -> IPSetSummary?
    /// Whether set `name` holds `member`. Equivalent to `ipset test NAME MEMBER`: the kernel looks
    /// up a member of a shorter network for a host network (`/32`, `/128`) and exactly `member`
    /// otherwise, so natgate asks about a host only where no shorter member can be.
    func contains(_ member: NetIfaceMember, in name: String) throws -> Bool
}

/// What `IPSetStore.summary(_:)` says of a set: everything but its members.
public struct IPSetSummary: Hashable, Sendable {
    /// The set's name.
    public var name: String
    /// The kernel's type name, such as `hash:net,iface`.
    public var typeName: String
    /// The family of its members.
    public var family: Family
    /// How many members it holds.
    public var count: Int

    /// A header given directly.
    public init(name: String, typeName: String, family: Family, count: Int) {
        self.name = name
        self.typeName = typeName
        self.family = family
        self.count = count
    }

    /// Whether the set is of the type and family natgate would create it with.
    public var hasNatgateType: Bool {
        IPSetContents(name: name, typeName: typeName, family: family).hasNatgateType
    }
}

extension IPSetStore {
    /// The names of `natgateSets()`: a store that can read names alone implements this.
    public func natgateSetNames() throws -> [String] { Array(try natgateSets().keys) }

    /// From `natgateSets()`: a store that can read a header alone implements this.
    public func summary(_ name: String) throws -> IPSetSummary? {
        try natgateSets()[name].map { IPSetSummary(name: $0.name, typeName: $0.typeName, family: $0.family, count: $0.members.count) }
    }

    /// From `natgateSets()`, exactly: a store that can test one member implements this.
    public func contains(_ member: NetIfaceMember, in name: String) throws -> Bool {
        guard let set = try natgateSets()[name] else { throw NatgateError(.system, "ip set \(name) does not exist.") }
        return set.members.contains(member)
    }
}

/// Ip sets held in memory, for tests and dry runs beside a `MemoryRuleStore`. Every operation is
/// recorded in `operations` (`add natgate-n… 10.1.0.0/24,eth0`), so tests can check what a change
/// did and in which order.
public final class MemoryIPSetStore: IPSetStore, @unchecked Sendable {
    private let lock = NSLock()
    private var sets: [String: IPSetContents]
    private var log: [String] = []
    private var lookupLog: [String] = []
    private var listings = 0

    /// A store holding `sets` (any names; only `natgate-*` ones are natgate's).
    public init(_ sets: [IPSetContents] = []) {
        self.sets = Dictionary(sets.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// What was done, in order: `create NAME`, `add NAME MEMBER`, `del NAME MEMBER`, `destroy NAME`.
    public var operations: [String] { lock.withLock { log } }

    /// The single-member lookups made, in order: `test NAME MEMBER`.
    public var lookups: [String] { lock.withLock { lookupLog } }

    /// How many times every member of natgate's sets was read (`natgateSets()`).
    public var wholeReads: Int { lock.withLock { listings } }

    /// Every set, natgate's or not, by name.
    public var all: [String: IPSetContents] { lock.withLock { sets } }

    /// Puts `set` in as it is, replacing one of its name: what a person with `ipset` could do.
    public func replace(_ set: IPSetContents) { lock.withLock { sets[set.name] = set } }

    /// Removes a set whatever uses it: what only a person could do behind natgate's back.
    public func remove(_ name: String) { lock.withLock { sets[name] = nil } }

    public func natgateSets() throws -> [String: IPSetContents] {
        lock.withLock {
            listings += 1
            return sets.filter { $0.key.hasPrefix(GatewayShape.setPrefix) }
        }
    }

    public func create(_ name: String, family: Family) throws {
        try lock.withLock {
            guard sets[name] == nil else { throw NatgateError(.system, "ip set \(name) already exists; natgate creates only sets that are missing.") }
            sets[name] = IPSetContents(name: name, family: family)
            log.append("create \(name)")
        }
    }

    public func add(_ members: [NetIfaceMember], to name: String) throws {
        try lock.withLock {
            guard sets[name] != nil else { throw NatgateError(.system, "ip set \(name) does not exist.") }
            for member in members where sets[name]!.members.insert(member).inserted { log.append("add \(name) \(member)") }
        }
    }

    public func delete(_ members: [NetIfaceMember], from name: String) throws {
        try lock.withLock {
            guard sets[name] != nil else { throw NatgateError(.system, "ip set \(name) does not exist.") }
            for member in members where sets[name]!.members.remove(member) != nil { log.append("del \(name) \(member)") }
        }
    }

    public func natgateSetNames() throws -> [String] {
        lock.withLock { sets.keys.filter { $0.hasPrefix(GatewayShape.setPrefix) } }
    }

    public func summary(_ name: String) throws -> IPSetSummary? {
        lock.withLock { sets[name].map { IPSetSummary(name: $0.name, typeName: $0.typeName, family: $0.family, count: $0.members.count) } }
    }

    public func contains(_ member: NetIfaceMember, in name: String) throws -> Bool {
        try lock.withLock {
            guard let set = sets[name] else { throw NatgateError(.system, "ip set \(name) does not exist.") }
            lookupLog.append("test \(name) \(member)")
            return set.members.contains(member)
        }
    }

    public func destroy(_ name: String) throws {
        try lock.withLock {
            guard sets.removeValue(forKey: name) != nil else { throw NatgateError(.system, "ip set \(name) does not exist.") }
            log.append("destroy \(name)")
        }
    }
}

/// What one family's change does to natgate's sets, in the order that keeps every forwarded
/// packet masqueraded: before the tables are committed, `prepare` creates the sets the change
/// needs (remaking those of the wrong type), adds subnet index members (`SubnetIndex`) and nat
/// members, and deletes filter members (`F`, then via); after, `complete` adds filter members
/// (via, then `F`), deletes nat members and then index members, and destroys the sets no shape
/// needs any more (their rules are gone by then: the kernel refuses to destroy a set a rule
/// uses). So a subnet is in the index whenever any member of its gateway is in the datapath.
struct SetChanges: Sendable {
    let family: Family
    let before: [String: IPSetContents]
    let after: [String: IPSetContents]
    /// Per set in both, the members `after` adds and those it drops, computed once.
    private let added: [String: [NetIfaceMember]]
    private let dropped: [String: [NetIfaceMember]]

    init(family: Family, before: [String: IPSetContents], after: [String: IPSetContents]) {
        self.family = family
        self.before = before
        self.after = after
        var added: [String: [NetIfaceMember]] = [:]
        var dropped: [String: [NetIfaceMember]] = [:]
        for (name, set) in after {
            let old: Set<NetIfaceMember> = before[name].map { $0.hasNatgateType && $0.family == family ? $0.members : [] } ?? []
            if old == set.members { continue }
            let new = set.members.subtracting(old)
            if !new.isEmpty { added[name] = new.sorted() }
            if before[name] != nil {
                let gone = old.subtracting(set.members)
                if !gone.isEmpty { dropped[name] = gone.sorted() }
            }
        }
        self.added = added
        self.dropped = dropped
    }

    /// The sets after a change from `current` gateways (read from `before`) to `wanted`: what
    /// `wanted` needs; with `settled` (enable, disable: some gateways are stated, not all), also
    /// the sets natgate cannot attribute to a gateway it read (their shape's rules are gone or
    /// edited), left as they are for `apply` or `flush`, which state every gateway.
    static func target(
        before: [String: IPSetContents], current: GatewaySet, wanted: GatewaySet, settled: Bool, compiler: GatewayCompiler, family: Family,
        wantedSets: [String: IPSetContents]? = nil
    ) -> [String: IPSetContents] {
        var after = wantedSets ?? compiler.sets(for: wanted, family: family)
        guard settled, before.keys.contains(where: { after[$0] == nil }) else { return after }
        let known = compiler.sets(for: current, family: family)
        for (name, set) in before where after[name] == nil && known[name] == nil { after[name] = set }
        return after
    }

    /// Whether the sets stay as they are.
    var isEmpty: Bool { added.isEmpty && dropped.isEmpty && toCreate.isEmpty && !before.keys.contains { after[$0] == nil } }

    private static func isNAT(_ name: String) -> Bool { name.hasPrefix(GatewayShape.setPrefix + "n") }
    private static func isVia(_ name: String) -> Bool { name.contains("-via-") }
    private static func isIndex(_ name: String) -> Bool { SubnetIndex.isIndexSet(name) }
    /// `F` sets: a filter shape's `SUBNET,UPLINK` set.
    private static func isFilter(_ name: String) -> Bool { !isNAT(name) && !isVia(name) && !isIndex(name) }

    /// Sets to make: missing, or of another type or family than natgate's.
    private var toCreate: [String] {
        after.keys.filter { name in before[name].map { !$0.hasNatgateType || $0.family != family } ?? true }.sorted()
    }

    /// Members `after` has and `before` lacks, for the sets `filter` takes, by name.
    private func additions(_ filter: (String) -> Bool) -> [(String, [NetIfaceMember])] {
        added.keys.filter(filter).sorted().map { ($0, added[$0]!) }
    }

    /// Members `before` has and `after` lacks, in sets that stay, by name.
    private func deletions(_ filter: (String) -> Bool) -> [(String, [NetIfaceMember])] {
        dropped.keys.filter(filter).sorted().map { ($0, dropped[$0]!) }
    }

    /// Deletions of filter members of sets that go: the gateways stop forwarding before their
    /// rules go.
    private func emptying(_ filter: (String) -> Bool) -> [(String, [NetIfaceMember])] {
        before.keys.filter { filter($0) && after[$0] == nil && before[$0]!.hasNatgateType && !before[$0]!.members.isEmpty }.sorted().map {
            (String($0), before[$0]!.members.sorted())
        }
    }

    /// The first half, before the tables are committed.
    func prepare(_ store: any IPSetStore) throws {
        for name in toCreate {
            if before[name] != nil { try destroy(name, store) }
            try store.create(name, family: family)
        }
        for (name, members) in additions(Self.isIndex) + additions(Self.isNAT) { try store.add(members, to: name) }
        for (name, members) in deletions(Self.isFilter) + emptying(Self.isFilter) {
            try store.delete(members, from: name)
        }
        for (name, members) in deletions({ Self.isVia($0) }) + emptying({ Self.isVia($0) }) { try store.delete(members, from: name) }
    }

    /// The second half, after the tables are committed. Returns the sets that could not be
    /// destroyed, each with why.
    func complete(_ store: any IPSetStore) throws -> [String] {
        for (name, members) in additions({ Self.isVia($0) }) { try store.add(members, to: name) }
        for (name, members) in additions(Self.isFilter) { try store.add(members, to: name) }
        for (name, members) in deletions(Self.isNAT) + deletions(Self.isIndex) { try store.delete(members, from: name) }
        var left: [String] = []
        for name in before.keys.filter({ after[$0] == nil }).sorted() {
            do {
                try store.destroy(name)
            } catch {
                left.append("\(family): ip set \(name) is no longer needed but could not be destroyed (\(error)); remove what uses it, then run `natgate flush` or the next change again.")
            }
        }
        return left
    }

    private func destroy(_ name: String, _ store: any IPSetStore) throws {
        do {
            try store.destroy(name)
        } catch {
            throw NatgateError(
                .system,
                "ip set \(name) is \(before[name]!.typeName) family \(before[name]!.family == .ipv4 ? "inet" : "inet6"), not the \(IPSetContents.natgateType) set natgate needs, and could not be destroyed to make it again (\(error)). Nothing else was changed. Remove what uses it (`ipset list \(name)` shows the references), then run the command again.")
        }
    }

    /// The change as `ipset` lines, `-`/`+` prefixed, in the order it is made: sets created,
    /// members added and deleted, sets destroyed.
    var lines: [String] {
        var lines: [String] = []
        for name in toCreate {
            if let old = before[name] { lines.append("-create \(name) \(old.typeName)") }
            lines.append("+create \(name) \(IPSetContents.natgateType) family \(family == .ipv4 ? "inet" : "inet6")")
        }
        let adds = additions(Self.isIndex) + additions(Self.isNAT) + additions({ Self.isVia($0) }) + additions(Self.isFilter)
        let dels = deletions(Self.isFilter) + deletions({ Self.isVia($0) }) + deletions(Self.isNAT) + deletions(Self.isIndex)
        for (name, members) in adds { lines += members.map { "+add \(name) \($0)" } }
        for (name, members) in dels { lines += members.map { "-add \(name) \($0)" } }
        for name in before.keys.filter({ after[$0] == nil }).sorted() {
            lines += before[name]!.members.sorted().map { "-add \(name) \($0)" }
            lines.append("-create \(name) \(before[name]!.typeName)")
        }
        return lines
    }
}
