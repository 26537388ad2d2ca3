import NatgateIPSet
@_spi(Testing) import NatgateKernel
import NatgateModel
import NatgatePolicy

/// The kernel's ip sets in one network namespace, through NatgateIPSet (nfnetlink): the sets
/// gateways are members of, for whichever iptables backend writes the rules (the sets are shared
/// by legacy x_tables and nf_tables).
public struct KernelIPSetStore: IPSetStore {
    /// The netlink client of the namespace's ip sets.
    public var client: IPSetClient

    /// A store of the ip sets of `namespace`.
    public init(namespace: NetworkNamespace = .current) {
        client = IPSetClient(namespace: namespace)
    }

    /// Equivalent to `ipset list -n`, then `ipset list NAME` of each `natgate-*` set.
    public func natgateSets() throws -> [String: IPSetContents] {
        var sets: [String: IPSetContents] = [:]
        for name in try client.setNames() where name.hasPrefix(GatewayShape.setPrefix) {
            // nil: destroyed since the names were read.
            guard let listing = try listing(name) else { continue }
            var members = Set<NetIfaceMember>(minimumCapacity: listing.members.count)
            for member in listing.members { members.insert(NetIfaceMember(network: member.network, interface: member.interface)) }
            sets[name] = IPSetContents(name: name, typeName: listing.typeName, family: listing.family, members: members)
        }
        return sets
    }

    private func listing(_ name: String) throws(IPSetError) -> IPSetListing? {
        let result: Result<IPSetListing, IPSetError> = Result { () throws(IPSetError) in try client.list(name) }
        switch result {
        case .success(let listing): return listing
        case .failure(let error): if error.kind == .noSuchSet { return nil } else { throw error }
        }
    }

    public func create(_ name: String, family: Family) throws { try client.create(name, family: family) }

    /// Equivalent to `ipset list -n`, natgate's names kept.
    public func natgateSetNames() throws -> [String] {
        try client.setNames().filter { $0.hasPrefix(GatewayShape.setPrefix) }
    }

    /// Equivalent to `ipset list -terse NAME`: one message, whatever the set's size.
    public func summary(_ name: String) throws -> IPSetSummary? {
        let result: Result<IPSetHeader, IPSetError> = Result { () throws(IPSetError) in try client.header(name) }
        switch result {
        case .success(let header): return IPSetSummary(name: header.name, typeName: header.typeName, family: header.family, count: header.count)
        case .failure(let error): if error.kind == .noSuchSet { return nil } else { throw error }
        }
    }

    /// Equivalent to `ipset test NAME MEMBER`: one message, whatever the set's size.
    public func contains(_ member: NetIfaceMember, in name: String) throws -> Bool {
        try client.test(IPSetMember(network: member.network, interface: member.interface), in: name)
    }

    public func add(_ members: [NetIfaceMember], to name: String) throws {
        try client.add(members.map { IPSetMember(network: $0.network, interface: $0.interface) }, to: name, ignoringExisting: true)
    }

    public func delete(_ members: [NetIfaceMember], from name: String) throws {
        try client.delete(members.map { IPSetMember(network: $0.network, interface: $0.interface) }, from: name, ignoringMissing: true)
    }

    public func destroy(_ name: String) throws { try client.destroy(name) }
}

extension IPSetError: BackendError {
    package var isInvalidInput: Bool { kind == .invalid }
    package var leftPartOfAChange: Bool { false }
}
