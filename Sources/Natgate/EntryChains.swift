import NatgateKernel
import NatgateModel
import NatgatePolicy

/// natgate's owned chains of one family as the kernel holds them: each table's chain as kernel
/// entries (`EntryList`), the libiptc store's own form (`KernelRuleStore.NativeChains`). Gateways
/// are read back from them and written into them through a `GatewayEntries`, which keeps a
/// template per gateway shape.
public struct EntryChains: OwnedChainsForm {
    /// The family of every list.
    public let family: Family
    /// Each owned chain's entries, by table (`OwnedChains.byTable`).
    public var lists: [TableName: EntryList]

    /// Owned chains of `family`, `lists` by table (none by default).
    public init(family: Family, lists: [TableName: EntryList] = [:]) {
        self.family = family
        self.lists = lists
    }

    public static func codec(_ family: Family) -> GatewayEntries { GatewayEntries(family: family) }

    public func gateways(_ codec: inout GatewayEntries) -> GatewaySet? {
        let empty = EntryList(family: family)
        return codec.gatewaySet(filter: lists[.filter] ?? empty, nat: lists[.nat] ?? empty)
    }

    public mutating func set(_ table: TableName, to gateways: [Gateway], _ codec: inout GatewayEntries) throws {
        lists[table] = try codec.entries(for: gateways, table: table)
    }

    public mutating func restore(_ table: TableName, from earlier: EntryChains) {
        lists[table] = earlier.lists[table]
    }
}
