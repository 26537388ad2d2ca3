import NatgateModel

/// The libiptc deletions and insertions that turn one chain's entries into another's, compared
/// byte for byte (`EntryList.sameRule`), so that entries that stay keep their place and counters.
///
/// As `TableChanges` does for model rules: the common prefix and suffix are kept; the rest is
/// diffed with Myers' algorithm when it is small enough, and otherwise replaced as a whole.
struct EntryEdit: Sendable {
    var chain: ChainName
    /// The entries the chain ends up with.
    var new: EntryList
    /// 0-based positions in the old chain, descending (the order to delete them in).
    var removals: [Int] = []
    /// 0-based positions in `new`, ascending (the order to insert them in).
    var insertions: [Int] = []
    /// Counters to set on entries that stay (restore with counters), at 0-based positions of `new`.
    var counterUpdates: [(position: Int, counters: Counters)] = []

    var isEmpty: Bool { removals.isEmpty && insertions.isEmpty && counterUpdates.isEmpty }

    /// Asks for each entry that stays to get the counters `new` gives it, where they differ from
    /// those it has in `old` (`iptables-restore --counters`; inserted entries carry theirs).
    mutating func setCounters(from old: EntryList?) {
        guard let old else { return }
        let removed = Set(removals)
        let inserted = Set(insertions)
        var oldIndex = 0
        for position in 0..<new.count where !inserted.contains(position) {
            while removed.contains(oldIndex) { oldIndex += 1 }
            guard oldIndex < old.count else { break }
            let counters = new.counters(position)
            if counters != old.counters(oldIndex) { counterUpdates.append((position, counters)) }
            oldIndex += 1
        }
    }

    init(chain: ChainName, from old: EntryList, to new: EntryList) {
        self.chain = chain
        self.new = new
        var prefix = 0
        while prefix < old.count, prefix < new.count, old.sameRule(prefix, as: prefix, of: new) { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
              old.sameRule(old.count - 1 - suffix, as: new.count - 1 - suffix, of: new) { suffix += 1 }
        let oldMiddle = prefix..<(old.count - suffix)
        let newMiddle = prefix..<(new.count - suffix)
        if oldMiddle.isEmpty || newMiddle.isEmpty {
            removals = oldMiddle.reversed()
            insertions = Array(newMiddle)
            return
        }
        if oldMiddle.count * newMiddle.count > TableChanges.diffLimit {
            (removals, insertions) = EntryEdit.nearbyDiff(old, oldMiddle, new, newMiddle)
            return
        }
        let difference = Array(newMiddle).difference(from: Array(oldMiddle)) { old.sameRule($0, as: $1, of: new) }
        for change in difference {
            switch change {
            case .remove(_, let position, _): removals.append(position)
            case .insert(_, let position, _): insertions.append(position)
            }
        }
        removals.sort(by: >)
        insertions.sort()
    }

    /// How far ahead `nearbyDiff` looks for the entry it stands on.
    static let window = 64

    /// A diff for middles too long for Myers' algorithm: walk both lists; where they differ, look
    /// up to `window` entries ahead in each for the entry the other stands on and skip the shorter
    /// way (those entries are removed, or inserted); where neither is near, replace one by one.
    /// natgate's chains are sorted by gateway, so a change that adds some gateways and removes
    /// others differs in short runs, and the entries between them keep their place and counters.
    /// Its comparisons are bounded; past that, the rest is replaced as a whole.
    ///
    /// - Returns: removals (old positions, descending) and insertions (new positions, ascending).
    static func nearbyDiff(_ old: EntryList, _ oldRange: Range<Int>, _ new: EntryList, _ newRange: Range<Int>) -> ([Int], [Int]) {
        var removals: [Int] = []
        var insertions: [Int] = []
        var i = oldRange.lowerBound
        var j = newRange.lowerBound
        var budget = 16 * (oldRange.count + newRange.count)
        while i < oldRange.upperBound, j < newRange.upperBound, budget > 0 {
            if old.sameRule(i, as: j, of: new) {
                i += 1
                j += 1
                continue
            }
            var skipOld: Int?
            var skipNew: Int?
            for distance in 1...window {
                budget -= 2
                if skipOld == nil, i + distance < oldRange.upperBound, old.sameRule(i + distance, as: j, of: new) { skipOld = distance }
                if skipNew == nil, j + distance < newRange.upperBound, old.sameRule(i, as: j + distance, of: new) { skipNew = distance }
                if skipOld != nil || skipNew != nil { break }
            }
            if let skipOld {
                removals += i..<(i + skipOld)
                i += skipOld
            } else if let skipNew {
                insertions += j..<(j + skipNew)
                j += skipNew
            } else {
                removals.append(i)
                insertions.append(j)
                i += 1
                j += 1
            }
        }
        removals += i..<oldRange.upperBound
        insertions += j..<newRange.upperBound
        return (removals.reversed(), insertions)
    }
}
