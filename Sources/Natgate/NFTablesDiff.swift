import NatgateModel
import NatgateNFTables

/// How `NFTablesRuleStore` reads iptables-nft's tables into model tables and turns a change of
/// them into the fewest batch operations: rules are deleted by handle and added at their place,
/// everything else keeps its handle (and so its counters).
enum NFTablesDiff {
    static func nftFamily(_ family: Family) -> NFTFamily { family == .ipv4 ? .ip : .ip6 }

    /// The extension name an nf_tables rule that is not an iptables rule reads as.
    static let opaqueName = "nftables-only"

    /// One table as read: its model form and, per chain, the kernel's handles of its rules.
    struct ReadTable: Sendable {
        var table: Table
        /// Whether nf_tables has the table at all.
        var exists: Bool
        /// The chains nf_tables has (a built-in chain iptables-nft has not created yet reads as
        /// ACCEPT with no rules, as iptables-nft-save prints it, and is not here).
        var existingChains: Set<ChainName>
        /// Each chain's rule handles, in the order of its model rules.
        var handles: [ChainName: [UInt64]]
        /// The rules that are not iptables rules, kept as they are.
        var opaqueHandles: [(chain: ChainName, handle: UInt64)]

        /// `name` of `family` from `ruleset` (which holds the chains and rules of that family).
        init(_ name: TableName, family: Family, from ruleset: NFTRuleset, decoder: NFTRuleDecoder = NFTRuleDecoder()) throws {
            let nftFamily = NFTablesDiff.nftFamily(family)
            exists = ruleset.tables.contains { $0.family == nftFamily && $0.name == name.rawValue }
            existingChains = []
            handles = [:]
            opaqueHandles = []
            var builtins: [ChainName: Chain] = [:]
            var user: [Chain] = []
            for chain in ruleset.chains where chain.family == nftFamily && chain.table == name.rawValue {
                let chainName: ChainName
                do { chainName = try ChainName(chain.name) } catch {
                    throw NatgateError(.system,
                        "\(nftFamily) \(name) holds the chain '\(chain.name)', which is not an iptables chain name; natgate writes only into tables iptables-nft can read. Rename or remove it with `nft` (or use `--backend legacy`).")
                }
                if let base = chain.base {
                    guard name.isBuiltin(chainName), let expected = NFTBatch.builtinBase(table: name, chain: chainName, family: nftFamily),
                          expected.hook == base.hook, expected.type == base.type
                    else {
                        throw NatgateError(.system,
                            "\(nftFamily) \(name) holds the base chain \(chain.name) (type \(base.type) hook \(base.hook) priority \(base.priority)), which iptables-nft does not make; natgate writes only into tables iptables-nft can read. Move that chain to a table of its own with `nft` (or use `--backend legacy`).")
                    }
                    builtins[chainName] = Chain(name: chainName, policy: base.policy == .drop ? .drop : .accept)
                } else {
                    guard !name.isBuiltin(chainName) else {
                        throw NatgateError(.system,
                            "\(nftFamily) \(name) holds a regular chain named \(chain.name), the name of a built-in chain; natgate writes only into tables iptables-nft can read. Remove it with `nft delete chain \(nftFamily) \(name) \(chain.name)` (or use `--backend legacy`).")
                    }
                    user.append(Chain(name: chainName))
                }
                existingChains.insert(chainName)
            }
            var chains = name.builtinChains.map { builtins[$0] ?? Chain(name: $0, policy: .accept) }
            chains += user.sorted { $0.name.rawValue.utf8.lexicographicallyPrecedes($1.name.rawValue.utf8) }
            var index: [ChainName: Int] = [:]
            for (position, chain) in chains.enumerated() { index[chain.name] = position }
            // Chain names checked once per chain, not once per rule.
            var positions: [String: Int] = [:]
            for chain in chains { positions[chain.name.rawValue] = index[chain.name] }
            for rule in ruleset.rules where rule.family == nftFamily && rule.table == name.rawValue {
                guard let position = positions[rule.chain] else { continue }
                let chainName = chains[position].name
                var decoded: Rule
                do {
                    decoded = try decoder.decode(rule)
                } catch {
                    decoded = Rule(matches: [Match(UnknownMatch(name: NFTablesDiff.opaqueName, words: ["--handle", String(rule.handle)]))])
                    if case .counter(let packets, let bytes)? = rule.expressions.first(where: { if case .counter = $0 { true } else { false } }) {
                        decoded.counters = Counters(packets: packets, bytes: bytes)
                    }
                    opaqueHandles.append((chainName, rule.handle))
                }
                chains[position].rules.append(decoded)
                handles[chainName, default: []].append(rule.handle)
            }
            table = Table(name: name, family: family, chains: chains)
        }
    }

    /// The batch that takes the tables `read` to `working` (tables of `working` only).
    static func batch(from read: [Family: [TableName: ReadTable]], to working: [Family: [TableName: Table]], encoder: NFTRuleEncoder = NFTRuleEncoder()) throws -> NFTBatch {
        var creates = NFTBatch()
        var rules = NFTBatch()
        var deletes = NFTBatch()
        for family in Family.allCases {
            guard let tables = working[family], let before = read[family] else { continue }
            let nftFamily = nftFamily(family)
            for name in tables.keys.sorted() {
                guard let after = tables[name], let old = before[name], after != old.table else { continue }
                var tableCreated = old.exists
                func ensureTable() {
                    if !tableCreated { creates.addTable(nftFamily, name.rawValue) }
                    tableCreated = true
                }
                for chain in after.chains {
                    let oldChain = old.table[chain: chain.name]
                    let exists = old.existingChains.contains(chain.name)
                    if name.isBuiltin(chain.name) {
                        guard !exists || chain.policy == oldChain?.policy else {
                            throw NatgateError(.system, "\(nftFamily) \(name): natgate does not change the policy of the existing chain \(chain.name); nothing was changed. Change it with iptables-nft -P.")
                        }
                        // As iptables-nft: a built-in chain is made when a rule goes into it (or
                        // a restore gives it another policy than ACCEPT).
                        if !exists && (!chain.rules.isEmpty || chain.policy != .accept) {
                            ensureTable()
                            try creates.addBuiltinChain(nftFamily, table: name, chain: chain.name, policy: chain.policy == .drop ? .drop : .accept)
                        }
                    } else if !exists {
                        ensureTable()
                        creates.addChain(NFTChain(family: nftFamily, table: name.rawValue, name: chain.name.rawValue))
                    }
                    let oldRules = oldChain?.rules ?? []
                    let oldHandles = old.handles[chain.name] ?? []
                    guard oldRules.map(\.withoutCounters) != chain.rules.map(\.withoutCounters) else { continue }
                    let edit = RuleEdit(old: oldRules, new: chain.rules)
                    for index in edit.deleted {
                        rules.deleteRule(nftFamily, table: name.rawValue, chain: chain.name.rawValue, handle: oldHandles[index])
                    }
                    for insert in edit.inserted {
                        let rule = chain.rules[insert.new]
                        if rule.matches.contains(where: { $0.name == opaqueName && !$0.isTyped }) {
                            throw NatgateError(.system, "\(nftFamily) \(name) \(chain.name): the change would have to write a rule that is not an iptables rule (\(rule.saveArguments(family: family))) again; natgate never rewrites a rule it cannot read. Nothing was changed.")
                        }
                        let position: NFTBatch.Position = switch insert.place {
                        case .append: .append
                        case .top: .top
                        case .after(let index): .after(handle: oldHandles[index])
                        }
                        rules.addRule(try encoder.encode(rule, family: family, table: name, chain: chain.name), at: position)
                    }
                }
                for chain in old.table.chains where after[chain: chain.name] == nil {
                    guard old.existingChains.contains(chain.name) else { continue }
                    guard !name.isBuiltin(chain.name) else {
                        throw NatgateError(.system, "\(nftFamily) \(name): natgate does not delete the built-in chain \(chain.name).")
                    }
                    if !chain.rules.isEmpty { rules.flushChain(nftFamily, table: name.rawValue, chain: chain.name.rawValue) }
                    deletes.deleteChain(nftFamily, table: name.rawValue, chain: chain.name.rawValue)
                }
            }
        }
        var batch = NFTBatch()
        batch.append(creates)
        batch.append(rules)
        batch.append(deletes)
        return batch
    }
}

/// The deletions and insertions that take one chain's rules from `old` to `new` (compared
/// without counters), keeping as many old rules in place as a greedy in-order match finds: a
/// common head and tail, then each new rule matched to the next unused equal old rule.
struct RuleEdit {
    enum Place: Equatable {
        /// At the end of the chain.
        case append
        /// At the top of the chain.
        case top
        /// Right after the kept old rule of this index.
        case after(Int)
    }

    /// Indices of old rules to delete.
    var deleted: [Int] = []
    /// New rules to insert, in the order to send them (a run placed after one rule is sent in
    /// reverse, since each goes right after that rule).
    var inserted: [(new: Int, place: Place)] = []

    init(old: [Rule], new: [Rule]) {
        let a = old.map(\.withoutCounters)
        let b = new.map(\.withoutCounters)
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        // Which old rule each new rule keeps (nil: inserted).
        var kept = [Int?](repeating: nil, count: b.count)
        for i in 0..<head { kept[i] = i }
        for i in 0..<tail { kept[b.count - 1 - i] = a.count - 1 - i }
        var positions: [Rule: [Int]] = [:]
        for i in head..<(a.count - tail) { positions[a[i], default: []].append(i) }
        var cursor: [Rule: Int] = [:]
        var last = head - 1
        var keptOld = Set<Int>()
        for j in head..<(b.count - tail) {
            guard let list = positions[b[j]] else { continue }
            var k = cursor[b[j]] ?? 0
            while k < list.count, list[k] <= last { k += 1 }
            cursor[b[j]] = k
            guard k < list.count else { continue }
            kept[j] = list[k]
            keptOld.insert(list[k])
            last = list[k]
            cursor[b[j]] = k + 1
        }
        deleted = (head..<(a.count - tail)).filter { !keptOld.contains($0) }
        // Runs of inserted rules, placed relative to the kept rules around them.
        var j = 0
        var previous: Int?
        while j < b.count {
            if let index = kept[j] {
                previous = index
                j += 1
                continue
            }
            var end = j
            while end < b.count, kept[end] == nil { end += 1 }
            if end == b.count {
                // Nothing kept after the run: append it in order.
                for k in j..<end { inserted.append((k, .append)) }
            } else {
                let place: Place = previous.map { .after($0) } ?? .top
                for k in (j..<end).reversed() { inserted.append((k, place)) }
            }
            j = end
        }
    }
}

extension NFTBatch {
    /// Adds `other`'s operations after this batch's.
    mutating func append(_ other: NFTBatch) {
        for operation in other.operations {
            switch operation {
            case .addTable(let family, let name): addTable(family, name)
            case .addChain(let chain): addChain(chain)
            case .addRule(let rule, let position): addRule(rule, at: position)
            case .deleteRule(let family, let table, let chain, let handle): deleteRule(family, table: table, chain: chain, handle: handle)
            case .flushChain(let family, let table, let chain): flushChain(family, table: table, chain: chain)
            case .deleteChain(let family, let table, let chain): deleteChain(family, table: table, chain: chain)
            }
        }
    }
}
