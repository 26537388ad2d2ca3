import NatgateModel

/// A set of gateways that can be enabled together, in canonical order.
///
/// Making one checks the gateways against each other: the same gateway given twice is kept once;
/// the same subnet with two different configurations, the same subnet through two uplinks, and
/// overlapping subnets are errors naming both gateways.
public struct GatewaySet: Hashable, Sendable, Sequence {
    /// The gateways, sorted (IPv4 before IPv6, then by subnet and uplink).
    public private(set) var gateways: [Gateway]

    /// The empty set.
    public init() { gateways = [] }

    /// Checks `gateways` against each other and sorts them.
    ///
    /// - Throws: `PolicyError` (`.conflict`) naming the two gateways that cannot coexist.
    public init<S: Sequence>(_ gateways: S) throws where S.Element == Gateway {
        let given = Array(gateways)
        // Sorting compares subnets as integers and moves indexes rather than gateways; the
        // gateways' own `<` breaks ties (the same subnet), so the order is that of `given.sorted()`.
        let keys = given.map { SubnetKey($0.subnet) }
        func precedes(_ a: Int, _ b: Int) -> Bool { keys[a] != keys[b] ? keys[a] < keys[b] : given[a] < given[b] }
        var order = Array(given.indices)
        // Files natgate wrote, and sets being added to, are mostly in order already.
        if !zip(order, order.dropFirst()).allSatisfy({ !precedes($1, $0) }) {
            order.sort(by: precedes)
        }
        var sorted: [Gateway] = []
        sorted.reserveCapacity(given.count)
        var previous: Int?
        for index in order {
            // Equal gateways are neighbours: equal subnets sort together.
            if let previous, keys[previous] == keys[index], given[previous] == given[index] { continue }
            sorted.append(given[index])
            previous = index
        }
        try GatewaySet.checkConflicts(sorted)
        self.gateways = sorted
    }

    public func makeIterator() -> IndexingIterator<[Gateway]> { gateways.makeIterator() }

    /// Whether the set has no gateway.
    public var isEmpty: Bool { gateways.isEmpty }
    /// How many gateways the set has.
    public var count: Int { gateways.count }

    /// The gateways of one family, in order.
    public func gateways(of family: Family) -> [Gateway] {
        let boundary = GatewaySet.firstIPv6(in: gateways)
        return Array(family == .ipv4 ? gateways[..<boundary] : gateways[boundary...])
    }

    /// The index of the first IPv6 gateway of `sorted` (its end when there is none): IPv4
    /// gateways sort first, so each family is one run, found by binary search.
    static func firstIPv6(in sorted: [Gateway]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = low + (high - low) / 2
            if sorted[middle].family == .ipv4 { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The gateway with this subnet and uplink, if the set has it.
    public func gateway(_ key: Gateway.Key) -> Gateway? { gateways.first { $0.key == key } }

    /// The set with `gateway` added, or replacing the gateway of the same subnet and uplink.
    ///
    /// - Throws: `PolicyError` when it conflicts with another gateway of the set; the message names
    ///   the gateway already there (the one to disable first), whichever sorts first.
    public func adding(_ gateway: Gateway) throws -> GatewaySet {
        let others = gateways.filter { $0.key != gateway.key }
        do {
            return try GatewaySet(others + [gateway])
        } catch let error as PolicyError where error.kind == .conflict {
            guard let existing = others.first(where: { $0.family == gateway.family && $0.subnet.overlaps(gateway.subnet) }) else { throw error }
            if existing.subnet == gateway.subnet {
                throw PolicyError(
                    .conflict, input: gateway.key.description,
                    "Subnet \(gateway.subnet) already leaves by \(existing.uplink) (gateway \(existing.key) is there): a subnet leaves by one uplink. To move it to \(gateway.uplink), `natgate disable \(existing.key)` first.")
            }
            throw PolicyError(
                .conflict, input: gateway.key.description,
                "Subnet \(gateway.subnet) overlaps \(existing.subnet) of gateway \(existing.key), which is already there: each gateway needs a subnet of its own. Give the namespace a subnet outside \(existing.subnet), or `natgate disable \(existing.key)` first.")
        }
    }

    /// The set without the gateway of this subnet and uplink (unchanged when it has none).
    public func removing(_ key: Gateway.Key) -> GatewaySet {
        var copy = self
        copy.gateways.removeAll { $0.key == key }
        return copy
    }

    // MARK: Conflicts

    private static func checkConflicts(_ sorted: [Gateway]) throws {
        // Sorted by subnet, then uplink: equal subnets are neighbours.
        for index in sorted.indices.dropFirst() where sorted[index - 1].subnet == sorted[index].subnet {
            let previous = sorted[index - 1]
            let current = sorted[index]
            if previous.uplink == current.uplink {
                throw PolicyError(
                    .conflict, input: current.key.description,
                    "Gateway \(current.key) is given twice with different options: '\(previous)' and '\(current)'. Keep one of them.")
            }
            throw PolicyError(
                .conflict, input: current.subnet.description,
                "Subnet \(current.subnet) is given through two uplinks, \(previous.uplink) and \(current.uplink): a subnet leaves by one uplink. Keep one (to move it, `natgate disable \(previous.key)` first).")
        }
        let firstIPv6 = GatewaySet.firstIPv6(in: sorted)
        try checkOverlaps(sorted[..<firstIPv6])
        try checkOverlaps(sorted[firstIPv6...])
    }

    /// Finds two overlapping subnets in `sorted` (one family, sorted by subnet, distinct subnets).
    ///
    /// Prefix networks are nested or disjoint, so among networks sorted by first address one
    /// overlaps an earlier one exactly when it starts before the furthest end seen so far; that
    /// makes the check linear. Networks with non-contiguous masks are checked pairwise.
    private static func checkOverlaps(_ sorted: ArraySlice<Gateway>) throws {
        var widest: (index: Int, end: AddressBound)?
        var irregular: [Int] = []
        for index in sorted.indices {
            guard let range = sorted[index].subnet.addressRange else {
                irregular.append(index)
                continue
            }
            if let current = widest, range.start <= current.end {
                throw overlap(sorted[current.index], sorted[index])
            }
            if widest == nil || range.end > widest!.end { widest = (index, range.end) }
        }
        for index in irregular {
            let subnet = sorted[index].subnet
            if let other = sorted.first(where: { $0.subnet != subnet && $0.subnet.overlaps(subnet) }) {
                throw overlap(other, sorted[index])
            }
        }
    }

    private static func overlap(_ a: Gateway, _ b: Gateway) -> PolicyError {
        PolicyError(
            .conflict, input: "\(a.subnet) \(b.subnet)",
            "Subnets \(a.subnet) (uplink \(a.uplink)) and \(b.subnet) (uplink \(b.uplink)) overlap: each gateway needs a subnet of its own. Give the namespaces non-overlapping subnets, or disable one gateway first (`natgate disable \(a.key)`).")
    }
}

/// A subnet as integers, ordered as `IPNetwork` orders: IPv4 before IPv6, then by address, then
/// wider masks first.
struct SubnetKey: Comparable {
    var family: UInt8
    var address: AddressBound
    var mask: AddressBound

    init(_ network: IPNetwork) {
        switch network {
        case .v4(let network):
            family = 0
            address = AddressBound(high: 0, low: UInt64(network.address.rawValue))
            mask = AddressBound(high: 0, low: UInt64(network.mask))
        case .v6(let network):
            family = 1
            address = AddressBound(high: network.address.high, low: network.address.low)
            mask = AddressBound(high: network.mask.high, low: network.mask.low)
        }
    }

    static func < (lhs: SubnetKey, rhs: SubnetKey) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        return lhs.address != rhs.address ? lhs.address < rhs.address : lhs.mask < rhs.mask
    }
}

/// A position in the address space of either family, for range comparisons.
struct AddressBound: Comparable {
    var high: UInt64
    var low: UInt64
    static func < (lhs: AddressBound, rhs: AddressBound) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }
}

extension IPNetwork {
    /// The first and last address of a prefix network; nil when the mask is not contiguous.
    var addressRange: (start: AddressBound, end: AddressBound)? {
        switch self {
        case .v4(let network):
            guard network.prefixLength != nil else { return nil }
            let start = UInt64(network.address.rawValue)
            return (AddressBound(high: 0, low: start), AddressBound(high: 0, low: start | UInt64(~network.mask)))
        case .v6(let network):
            guard network.prefixLength != nil else { return nil }
            let start = AddressBound(high: network.address.high, low: network.address.low)
            let end = AddressBound(high: network.address.high | ~network.mask.high, low: network.address.low | ~network.mask.low)
            return (start, end)
        }
    }
}
