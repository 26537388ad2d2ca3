import NatgateModel

extension KernelBackend {
    /// The kernel entries of `rules` as `update` would hand them to libiptc for `chain` of `table`:
    /// each an `ipt_entry` (or `ip6t_entry`) followed by its matches and target, counters zero.
    ///
    /// Nothing is read from or written to the kernel, and no namespace is entered: this is the
    /// encoder alone, for inspecting entries and for the benchmarks that measure it.
    ///
    /// - Throws: `KernelError` (`.refused`) for a rule the encoder cannot write, as `update` would.
    public func entries(for rules: [Rule], table: TableName, chain: ChainName) throws(KernelError) -> [[UInt8]] {
        let encoder = EntryEncoder(family: family, codecs: codecs)
        var entries: [[UInt8]] = []
        entries.reserveCapacity(rules.count)
        for (index, rule) in rules.enumerated() {
            entries.append(try encoder.encode(rule, table: table, chain: chain, position: index + 1))
        }
        return entries
    }
}
