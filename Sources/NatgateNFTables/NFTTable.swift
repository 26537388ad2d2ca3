/// An nf_tables table: a family, a name, and the chains, sets and rules it holds.
///
/// Equivalent to one `table FAMILY NAME` of `nft list tables`.
public struct NFTTable: Hashable, Sendable, CustomStringConvertible {
    /// The table's family.
    public var family: NFTFamily
    /// The table's name.
    public var name: String
    /// The kernel's handle of the table.
    public var handle: UInt64
    /// `NFT_TABLE_F_*` flags (1: dormant, 2: owned by the process that made it).
    public var flags: UInt32

    /// A table of `family` named `name`.
    public init(family: NFTFamily, name: String, handle: UInt64 = 0, flags: UInt32 = 0) {
        self.family = family
        self.name = name
        self.handle = handle
        self.flags = flags
    }

    /// Whether the table is dormant (`flags dormant`): its base chains are not registered at their hooks.
    public var isDormant: Bool { flags & 1 != 0 }

    /// `table ip filter`, as nft writes it.
    public var description: String { "table \(family) \(name)" }
}
