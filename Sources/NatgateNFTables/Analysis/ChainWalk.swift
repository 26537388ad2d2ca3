/// A ruleset's chains and their rules by name, built once for all the walks of one analysis.
struct ChainIndex {
    private struct Key: Hashable {
        var family: NFTFamily
        var table: String
        var chain: String
    }

    private var chains: [Key: NFTChain] = [:]
    private var rules: [Key: [NFTRule]] = [:]
    private var sets: [Key: NFTSet] = [:]

    init(_ ruleset: NFTRuleset) {
        for chain in ruleset.chains { chains[Key(family: chain.family, table: chain.table, chain: chain.name)] = chain }
        for rule in ruleset.rules { rules[Key(family: rule.family, table: rule.table, chain: rule.chain), default: []].append(rule) }
        for set in ruleset.sets { sets[Key(family: set.family, table: set.table, chain: set.name)] = set }
    }

    func set(_ family: NFTFamily, _ table: String, _ name: String) -> NFTSet? {
        sets[Key(family: family, table: table, chain: name)]
    }

    func chain(_ family: NFTFamily, _ table: String, _ name: String) -> NFTChain? {
        chains[Key(family: family, table: table, chain: name)]
    }

    func rules(of chain: NFTChain) -> [NFTRule] {
        rules[Key(family: chain.family, table: chain.table, chain: chain.name)] ?? []
    }
}

/// How one path through a base chain (and the chains it jumps to) ends for a kind of packet.
struct Outcome {
    enum Kind { case accept, drop, reject, nat, fallThrough }
    var kind: Kind
    /// The rule that decides; nil when the packet falls through to the policy.
    var decider: NFTFinding.Decider?
    /// Whether every rule on the way matched for sure (no condition the analysis could not decide).
    var certain: Bool
}

/// Walks a chain rule by rule for one kind of packet, the way the kernel would, forking where a
/// rule's conditions may or may not hold. A rule that may match adds the outcomes of matching and
/// goes on as if it had not matched; after it, nothing is certain any more.
struct ChainWalk {
    let index: ChainIndex
    let packet: PacketModel
    /// Conditions met on the way that the analysis could not evaluate, in order, without repeats.
    var undecided: [String] = []
    /// Whether one of them concerns the packets themselves (addresses outside the subnet, ports,
    /// marks, sets, …) rather than which interface the subnet is behind.
    var undecidedTraffic = false

    init(index: ChainIndex, packet: PacketModel) {
        self.index = index
        self.packet = packet
    }

    /// The outcomes of running `chain`; `.fallThrough` ones mean the packet reached the chain's
    /// end (or a return): the caller goes on, or a base chain's policy applies.
    mutating func run(_ chain: NFTChain, depth: Int) -> [Outcome] {
        var outcomes: [Outcome] = []
        var certain = true
        for rule in index.rules(of: chain) {
            let (truth, mapped) = evaluate(rule)
            if truth == .never { continue }
            // A verdict map gives one verdict per element: each is a rule of its own here.
            let choices = mapped.map { $0.map { ($0.truth && truth, Optional($0.verdict)) } } ?? [(truth, rule.verdict)]
            for (choiceTruth, verdict) in choices where choiceTruth != .never {
                if step(choiceTruth, verdict, rule, chain, depth, &outcomes, &certain) { return outcomes }
            }
        }
        outcomes.append(Outcome(kind: .fallThrough, decider: nil, certain: certain))
        return outcomes
    }

    /// Applies one rule (or one element of its verdict map) that may match; returns true when it
    /// certainly ends the chain.
    private mutating func step(
        _ truth: Truth, _ verdict: NFTVerdict?, _ rule: NFTRule, _ chain: NFTChain, _ depth: Int,
        _ outcomes: inout [Outcome], _ certain: inout Bool
    ) -> Bool {
        let matchCertain = certain && truth == .always
        let decider = NFTFinding.Decider.rule(chain: chain.name, handle: rule.handle)
        let terminal: Outcome.Kind
        switch verdict {
        case nil, .continue?, .other?, .break?: return false
        case .accept?, .stolen?, .queue?, .repeat_?:
            terminal = rule.expressions.contains(where: Self.isNAT) ? .nat : .accept
        case .drop?:
            terminal = rule.expressions.contains(where: Self.isReject) ? .reject : .drop
        case .return?:
            outcomes.append(Outcome(kind: .fallThrough, decider: nil, certain: matchCertain))
            if truth == .always { return true }
            certain = false
            return false
        case .jump(let name)?, .goto(let name)?:
            let isGoto: Bool = if case .goto = verdict { true } else { false }
            guard depth < NFTRuleset.jumpLimit, let target = index.chain(chain.family, chain.table, name) else {
                note(depth < NFTRuleset.jumpLimit ? "a jump to missing chain \(name)" : "jumps nested deeper than \(NFTRuleset.jumpLimit) (at \(name))", aboutInterface: false)
                outcomes.append(Outcome(kind: .drop, decider: decider, certain: false))
                certain = false
                return false
            }
            let inner = run(target, depth: depth + 1)
            for outcome in inner where outcome.kind != .fallThrough || isGoto {
                outcomes.append(Outcome(kind: outcome.kind, decider: outcome.decider, certain: matchCertain && outcome.certain))
            }
            let returns = inner.filter { $0.kind == .fallThrough }
            if isGoto, truth == .always { return true }
            if returns.isEmpty, truth == .always { return true }
            // Going on after the jump is certain when the inner chain certainly returns (and so
            // whether the jump happens does not matter).
            if !returns.contains(where: \.certain) { certain = false }
            return false
        }
        outcomes.append(Outcome(kind: terminal, decider: decider, certain: matchCertain))
        if truth == .always { return true }
        certain = false
        return false
    }

    private static func isNAT(_ expression: NFTExpression) -> Bool {
        switch expression {
        case .nat(.snat, _, _), .masquerade: true
        case .target(let name, _, _): name == "MASQUERADE" || name == "SNAT"
        default: false
        }
    }

    private static func isReject(_ expression: NFTExpression) -> Bool {
        switch expression {
        case .reject: true
        case .target(let name, _, _): name == "REJECT"
        default: false
        }
    }

    private mutating func note(_ condition: String, aboutInterface: Bool) {
        if !undecided.contains(condition) { undecided.append(condition) }
        if !aboutInterface { undecidedTraffic = true }
    }

    /// Whether all of a rule's conditions hold for the packet; for a rule with a verdict map, also
    /// whether each of the map's verdicts may be the one it gives.
    mutating func evaluate(_ rule: NFTRule) -> (Truth, [(truth: Truth, verdict: NFTVerdict)]?) {
        var mapped: [(truth: Truth, verdict: NFTVerdict)]?
        var registers: [UInt32: SymbolicValue] = [:]
        var truth = Truth.always
        var pending: [(condition: String, aboutInterface: Bool)] = []
        // Registers 1–4 are 16 bytes wide and overlap the 4-byte ones 8–23.
        func slot(_ register: UInt32) -> UInt32 { register >= 1 && register <= 4 ? 8 + (register - 1) * 4 : register }
        // Registers holding an interface name, whose undecided lookups concern only which
        // interface the subnet is behind.
        var interfaceSlots = Set<UInt32>()
        for expression in rule.expressions {
            switch expression {
            case .payload(_, _, _, let register, true), .ct(_, let register, true), .immediate(let register, .data):
                interfaceSlots.remove(slot(register))
            case .bitwise(_, let destination, _, _, _):
                interfaceSlots.remove(slot(destination))
            default: break
            }
            switch expression {
            case .meta(let key, let register, true):
                registers[slot(register)] = packet.meta(key)
                if key == .iifname || key == .oifname { interfaceSlots.insert(slot(register)) } else { interfaceSlots.remove(slot(register)) }
            case .payload(let base, let offset, let length, let register, true):
                registers[slot(register)] = packet.payload(base, offset, length)
            case .ct(let key, let register, true):
                registers[slot(register)] = packet.ct(key)
            case .immediate(let register, .data(let bytes)) where register != 0:
                registers[slot(register)] = .exactly(bytes)
            case .bitwise(let source, let destination, _, let mask, let xor):
                let value = registers[slot(source)] ?? .unknown(16)
                registers[slot(destination)] = mask.isEmpty ? .unknown(value.value.count) : value.masked(mask, xor)
            case .cmp(let register, let op, let data):
                let value = registers[slot(register)] ?? .unknown(data.count)
                let result: Truth
                switch op {
                case .eq: result = value.equals(data)
                case .neq: result = value.equals(data).negated
                default: result = value.compare(op, data)
                }
                if result == .maybe {
                    pending.append(Self.describe(expression, after: rule.expressions))
                }
                truth = truth && result
            case .lookup(let name, let register, let destination, let inverted):
                let key = registers[slot(register)] ?? .unknown(16)
                guard let set = index.set(rule.family, rule.table, name) else {
                    truth = truth && .maybe
                    pending.append(("set @\(name) (not found)", false))
                    continue
                }
                let candidates = SetMatch.candidates(set, key)
                if destination == 0 {
                    mapped = candidates.compactMap { candidate in candidate.element.verdict.map { (candidate.truth, $0) } }
                    if candidates.contains(where: { $0.truth == .maybe }) {
                        pending.append(("verdict map @\(name)", interfaceSlots.contains(slot(register))))
                    }
                    if candidates.allSatisfy({ $0.truth == .never }) { truth = .never }
                    continue
                }
                var result = SetMatch.membership(candidates)
                if inverted { result = result.negated }
                if result == .maybe {
                    pending.append(("\(inverted ? "not in" : "in") set @\(name)", interfaceSlots.contains(slot(register))))
                }
                truth = truth && result
            case .match(let name, let revision, let info):
                if name == "comment" { continue }
                let result = packet.xtMatch(name, revision: revision, info: info)
                if result == .maybe { pending.append(("-m \(name)", false)) }
                truth = truth && result
            case .other(let name) where !["log", "notrack", "dup"].contains(name):
                // Expressions this analysis does not model (limit, quota, range, …) may or may not hold.
                truth = truth && .maybe
                pending.append((name, false))
            default: continue
            }
            if truth == .never { return (.never, nil) }
        }
        let undecided = truth == .maybe || mapped?.contains(where: { $0.truth == .maybe }) == true
        if undecided { for (condition, aboutInterface) in pending { note(condition, aboutInterface: aboutInterface) } }
        return (truth, mapped)
    }

    /// A person's words for an undecided comparison, and whether it compares an interface name.
    private static func describe(_ cmp: NFTExpression, after expressions: [NFTExpression]) -> (String, Bool) {
        guard case .cmp(let register, let op, let data) = cmp, let index = expressions.firstIndex(of: cmp) else { return (cmp.description, false) }
        // The last load into the compared register before the comparison.
        for expression in expressions[..<index].reversed() {
            switch expression {
            case .meta(let key, register, true) where key == .iifname || key == .oifname:
                let name = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self) + (data.contains(0) ? "" : "*")
                return ("\(key) \(op == .eq ? "" : "!= ")\"\(name)\"", true)
            case .meta(let key, register, true): return ("meta \(key)", false)
            case .payload(let base, let offset, let length, register, true): return ("\(length)b @ \(base) header + \(offset)", false)
            case .ct(let key, register, true): return (key == 0 ? "ct state" : "ct key \(key)", false)
            default: continue
            }
        }
        return (cmp.description, false)
    }
}

/// Which elements of a set a key may match.
enum SetMatch {
    /// Each element (a key, or a range of an interval set with the element that starts it) and
    /// whether the key matches it.
    static func candidates(_ set: NFTSet, _ value: SymbolicValue) -> [(truth: Truth, element: NFTSet.Element)] {
        let length = Int(set.keyLength)
        // Concatenated keys span several registers, which this analysis does not track together.
        guard !set.isConcatenation, length > 0, length <= value.value.count else {
            return set.elements.filter { !$0.isIntervalEnd }.map { (.maybe, $0) }
        }
        let key = value.slice(0, length)
        guard set.isInterval else {
            return set.elements.filter { !$0.isIntervalEnd }.map { (key.equals($0.key), $0) }
        }
        // Ranges: a start element up to the next interval-end element (exclusive), or to the end.
        let sorted = set.elements.sorted { a, b in
            a.key == b.key ? a.isIntervalEnd && !b.isIntervalEnd : a.key.lexicographicallyPrecedes(b.key)
        }
        var ranges: [(start: NFTSet.Element, end: [UInt8]?)] = []
        var open: NFTSet.Element?
        for element in sorted {
            if element.isIntervalEnd {
                if let start = open { ranges.append((start, element.key)) }
                open = nil
            } else {
                if let start = open { ranges.append((start, element.key)) }
                open = element
            }
        }
        if let start = open { ranges.append((start, nil)) }
        // The smallest and largest values the key can have.
        let low = zip(key.value, key.known).map { $0 & $1 }
        let high = zip(key.value, key.known).map { $0 | ~$1 }
        return ranges.map { range in
            let startKey = range.start.key
            let inside = !low.lexicographicallyPrecedes(startKey) && (range.end.map { high.lexicographicallyPrecedes($0) } ?? true)
            let outside = high.lexicographicallyPrecedes(startKey) || (range.end.map { !low.lexicographicallyPrecedes($0) } ?? false)
            return (inside ? .always : outside ? .never : .maybe, range.start)
        }
    }

    /// Whether the key is in the set, from its candidates.
    static func membership(_ candidates: [(truth: Truth, element: NFTSet.Element)]) -> Truth {
        if candidates.contains(where: { $0.truth == .always }) { return .always }
        if candidates.allSatisfy({ $0.truth == .never }) { return .never }
        return .maybe
    }
}
