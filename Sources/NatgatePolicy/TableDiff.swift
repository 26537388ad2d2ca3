import NatgateModel

/// Line differences between two versions of a table, in iptables-save text.
///
/// Chain declarations come first (`-:OLD - [0:0]`, `+:NEW - [0:0]`), then each chain's rule lines
/// (`-A CHAIN …`) in diff order. Counters never count as a difference.
package enum TableDiff {
    /// The `-`/`+` lines that turn `before`'s iptables-save text into `after`'s, ignoring counters
    /// and the order user chains are declared in.
    package static func lines(from before: Table, to after: Table) -> [String] {
        var lines: [String] = []
        let old = before.canonicallyOrdered
        let new = after.canonicallyOrdered
        let family = after.family
        let table = after.name
        func declaration(_ chain: Chain) -> String {
            let builtin = table.isBuiltin(chain.name)
            return ":\(chain.name.rawValue) \(builtin ? (chain.policy ?? .accept).rawValue : "-") [0:0]"
        }
        func ruleLines(_ chain: Chain) -> [String] {
            chain.rules.map { $0.withoutCounters.saveLine(family: family, table: table, chain: chain.name) }
        }
        // Declarations first, as iptables-save prints them, then each chain's rules.
        for chain in old.chains where new.chain(named: chain.name).map(declaration) != declaration(chain) {
            lines.append("-" + declaration(chain))
        }
        for chain in new.chains where old.chain(named: chain.name).map(declaration) != declaration(chain) {
            lines.append("+" + declaration(chain))
        }
        var names = old.chains.map(\.name)
        for chain in new.chains where !names.contains(chain.name) { names.append(chain.name) }
        for name in names {
            // Rules equal at both ends are trimmed before rendering: with thousands of gateways a
            // change is a few lines in the middle of a long chain.
            let a = old.chain(named: name)?.rules ?? []
            let b = new.chain(named: name)?.rules ?? []
            var head = 0
            while head < a.count, head < b.count, a[head].withoutCounters == b[head].withoutCounters { head += 1 }
            var tail = 0
            while tail < a.count - head, tail < b.count - head,
                a[a.count - 1 - tail].withoutCounters == b[b.count - 1 - tail].withoutCounters
            {
                tail += 1
            }
            guard head + tail < max(a.count, b.count) else { continue }
            let render = { (rules: ArraySlice<Rule>) in ruleLines(Chain(name: name, rules: Array(rules))) }
            lines += lineDiff(render(a[head..<(a.count - tail)]), render(b[head..<(b.count - tail)]))
        }
        return lines
    }

    /// `-`/`+` lines turning `a` into `b`: common head and tail trimmed, the middle by longest
    /// common subsequence when small, else all of it removed and added.
    package static func lineDiff(_ a: [String], _ b: [String]) -> [String] {
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)])
        let y = Array(b[head..<(b.count - tail)])
        guard !x.isEmpty, !y.isEmpty, x.count * y.count <= 4_000_000 else {
            return x.map { "-" + $0 } + y.map { "+" + $0 }
        }
        // lengths[i][j]: LCS length of x[i...] and y[j...].
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lengths[i][j] = x[i] == y[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0
        var j = 0
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                i += 1
                j += 1
            } else if j == y.count || (i < x.count && lengths[i + 1][j] >= lengths[i][j + 1]) {
                out.append("-" + x[i])
                i += 1
            } else {
                out.append("+" + y[j])
                j += 1
            }
        }
        return out
    }
}
