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

    var isEmpty: Bool { removals.isEmpty && insertions.isEmpty }

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
        if oldMiddle.isEmpty || newMiddle.isEmpty || oldMiddle.count * newMiddle.count > TableChanges.diffLimit {
            removals = oldMiddle.reversed()
            insertions = Array(newMiddle)
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
}
