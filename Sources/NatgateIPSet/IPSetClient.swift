import Glibc
import NatgateKernel
import NatgateModel

/// What the kernel holds for one set: its type and family, how many rules use it, its members.
public struct IPSetListing: Hashable, Sendable {
    /// The set's name.
    public var name: String
    /// The set's type, such as `hash:net,iface`.
    public var typeName: String
    /// The family of its members.
    public var family: Family
    /// The revision of the set type the kernel made it with.
    public var revision: UInt8
    /// How many rules (and list:set sets) use the set; the kernel refuses to destroy it while any do.
    public var references: UInt32
    /// The members, in the order the kernel listed them.
    public var members: [IPSetMember]

    /// The members as `ipset save` prints them, sorted: `add NAME 10.1.0.0/24,eth0`, one a line.
    /// The create line is left out: its `initval` is random and differs between two equal sets.
    public var memberLines: [String] { members.map { "add \(name) \($0)" }.sorted() }
}

/// What the kernel says of one set without its members (`ipset list -terse`).
public struct IPSetHeader: Hashable, Sendable {
    /// The set's name.
    public var name: String
    /// The set's type, such as `hash:net,iface`.
    public var typeName: String
    /// The family of its members.
    public var family: Family
    /// How many rules (and list:set sets) use the set.
    public var references: UInt32
    /// How many members it holds.
    public var count: Int
}

/// A client of the kernel's ip set subsystem (nfnetlink `NFNL_SUBSYS_IPSET`) in one network
/// namespace, for the `hash:net,iface` sets natgate uses. Each call is one request (a handful of
/// netlink messages for large member lists) and its answer; nothing is cached between calls.
///
/// Each method says the `ipset` command it is equivalent to.
public struct IPSetClient: Sendable {
    /// The network namespace whose sets the client works on.
    public let namespace: NetworkNamespace
    /// The most members one message carries; a longer list goes in several messages.
    public static let membersPerMessage = 1000

    /// A client for the sets of `namespace`.
    public init(namespace: NetworkNamespace = .current) {
        self.namespace = namespace
    }

    /// Creates an empty `hash:net,iface` set, at the newest revision the kernel has.
    ///
    /// Equivalent to: `ipset create NAME hash:net,iface family inet|inet6`.
    public func create(_ name: String, family: Family) throws(IPSetError) {
        let operation = "ipset create \(name) hash:net,iface family \(family == .ipv4 ? "inet" : "inet6")"
        try Self.check(name, operation: operation)
        let nfFamily: UInt8 = family == .ipv4 ? 2 : 10
        try run(operation) { connection throws(IPSetError) in
            var query = IPSetMessage(.type, family: nfFamily, flags: IPSetMessage.request | IPSetMessage.ack)
            query.string(IPSetMessage.Attribute.typeName.rawValue, "hash:net,iface")
            query.attribute(IPSetMessage.Attribute.family.rawValue, [nfFamily])
            let answer = try connection.exchange(query, operation: operation) { code, _ in
                Self.kernelError(code, operation: operation, names: [name], command: .type)
            }
            guard let revision = answer.lazy.compactMap({ NetlinkAttributes($0.dropFirst(20)).u8(IPSetMessage.Attribute.revision.rawValue) }).first else {
                throw IPSetError(.unsupported, "The kernel did not say which revisions of hash:net,iface it has.", operation: operation)
            }
            var create = IPSetMessage(.create, family: nfFamily, flags: IPSetMessage.request | IPSetMessage.ack | IPSetMessage.create | IPSetMessage.excl)
            create.string(IPSetMessage.Attribute.setName.rawValue, name)
            create.string(IPSetMessage.Attribute.typeName.rawValue, "hash:net,iface")
            create.attribute(IPSetMessage.Attribute.revision.rawValue, [revision])
            create.attribute(IPSetMessage.Attribute.family.rawValue, [nfFamily])
            create.beginNest(IPSetMessage.Attribute.data.rawValue)
            create.endNest()
            _ = try connection.exchange(create, operation: operation) { code, _ in
                Self.kernelError(code, operation: operation, names: [name], command: .create)
            }
        }
    }

    /// Adds members, several to a message. With `ignoringExisting`, a member already in the set is
    /// not an error (`-exist`). Not atomic: when one member fails, those before it stay added.
    ///
    /// Equivalent to: `ipset add NAME 10.1.0.0/24,eth0` for each member (or one `ipset restore`).
    public func add(_ members: [IPSetMember], to name: String, ignoringExisting: Bool = false) throws(IPSetError) {
        try change(.add, members, name, strict: !ignoringExisting)
    }

    /// Deletes members. With `ignoringMissing`, a member not in the set is not an error.
    ///
    /// Equivalent to: `ipset del NAME 10.1.0.0/24,eth0` for each member.
    public func delete(_ members: [IPSetMember], from name: String, ignoringMissing: Bool = false) throws(IPSetError) {
        try change(.delete, members, name, strict: !ignoringMissing)
    }

    /// Removes every member. Equivalent to: `ipset flush NAME`.
    public func flush(_ name: String) throws(IPSetError) {
        try simple(.flush, "ipset flush \(name)", names: [name])
    }

    /// Destroys a set no rule uses. Equivalent to: `ipset destroy NAME`.
    public func destroy(_ name: String) throws(IPSetError) {
        try simple(.destroy, "ipset destroy \(name)", names: [name])
    }

    /// Exchanges the contents of two sets of the same type and family, atomically: rules that use
    /// either keep their set index and see the other's members. Equivalent to: `ipset swap A B`.
    public func swap(_ name: String, with other: String) throws(IPSetError) {
        try simple(.swap, "ipset swap \(name) \(other)", names: [name, other])
    }

    /// Renames a set no rule uses. Equivalent to: `ipset rename NAME NEW`.
    public func rename(_ name: String, to newName: String) throws(IPSetError) {
        try simple(.rename, "ipset rename \(name) \(newName)", names: [name, newName])
    }

    /// The set's type, family, references and members. Equivalent to: `ipset list NAME`. A set of
    /// another type than `hash:net,iface` comes back without its members.
    public func list(_ name: String) throws(IPSetError) -> IPSetListing {
        let operation = "ipset list \(name)"
        try Self.check(name, operation: operation)
        return try run(operation) { connection throws(IPSetError) in
            var request = IPSetMessage(.list, flags: IPSetMessage.request | IPSetMessage.ack | IPSetMessage.dump)
            request.string(IPSetMessage.Attribute.setName.rawValue, name)
            let messages = try connection.exchange(request, operation: operation) { code, _ in
                Self.kernelError(code, operation: operation, names: [name], command: .list)
            }
            return try Self.listing(of: name, from: messages, operation: operation)
        }
    }

    /// The set's type, family, references and number of members, without reading its members:
    /// one message whatever its size. Equivalent to: `ipset list -terse NAME`.
    public func header(_ name: String) throws(IPSetError) -> IPSetHeader {
        let operation = "ipset list -terse \(name)"
        try Self.check(name, operation: operation)
        return try run(operation) { connection throws(IPSetError) in
            var request = IPSetMessage(.list, flags: IPSetMessage.request | IPSetMessage.ack | IPSetMessage.dump)
            request.string(IPSetMessage.Attribute.setName.rawValue, name)
            request.be32(IPSetMessage.Attribute.flags.rawValue, 1 << 2)  // IPSET_FLAG_LIST_HEADER
            let messages = try connection.exchange(request, operation: operation) { code, _ in
                Self.kernelError(code, operation: operation, names: [name], command: .list)
            }
            for message in messages {
                let attributes = NetlinkAttributes(message.dropFirst(20))
                guard let typeName = attributes.string(IPSetMessage.Attribute.typeName.rawValue),
                      let family = attributes.u8(IPSetMessage.Attribute.family.rawValue),
                      let data = attributes.first(IPSetMessage.Attribute.data.rawValue).map(NetlinkAttributes.init)
                else { continue }
                guard let count = data.be32(IPSetMessage.Attribute.elements) else {
                    throw IPSetError(.unsupported, "The kernel did not say how many members ip set \(ModelError.quote(name)) holds (IPSET_ATTR_ELEMENTS, Linux 4.18 and later).", operation: operation)
                }
                return IPSetHeader(
                    name: attributes.string(IPSetMessage.Attribute.setName.rawValue) ?? name, typeName: typeName,
                    family: family == 10 ? .ipv6 : .ipv4, references: data.be32(IPSetMessage.Attribute.references) ?? 0, count: Int(count))
            }
            throw IPSetError(.noSuchSet, "The kernel's answer about ip set \(ModelError.quote(name)) had no header.", operation: operation)
        }
    }

    /// Whether the set holds `member`: one request whatever the set's size. For a host network
    /// (`/32`, `/128`) the kernel answers whether any member's network holds the address (with the
    /// interface); for another network, whether that very member is in the set.
    ///
    /// Equivalent to: `ipset test NAME 10.1.0.0/24,eth0` (exit status 0 or 1).
    public func test(_ member: IPSetMember, in name: String) throws(IPSetError) -> Bool {
        let operation = "ipset test \(name) \(member)"
        try Self.check(name, operation: operation)
        guard let length = member.prefixLength, !member.physdev, !member.nomatch else {
            throw IPSetError(.invalid, "\(member) is not a member natgate writes: give a network with a prefix length (10.1.0.0/24), and no physdev: or nomatch.", operation: operation)
        }
        let result: Result<Void, IPSetError> = Result { () throws(IPSetError) in
            try run(operation) { connection throws(IPSetError) in
                var request = IPSetMessage(.test, family: member.network.family == .ipv4 ? 2 : 10, flags: IPSetMessage.request | IPSetMessage.ack)
                request.string(IPSetMessage.Attribute.setName.rawValue, name)
                request.member(member, prefixLength: length, line: 0)
                _ = try connection.exchange(request, operation: operation) { code, _ in
                    Self.kernelError(code, operation: operation, names: [name], command: .test)
                }
            }
        }
        switch result {
        case .success: return true
        case .failure(let error) where error.kind == .memberMissing: return false  // IPSET_ERR_EXIST: not in the set
        case .failure(let error): throw error
        }
    }

    /// The names of every set in the namespace, in the kernel's order. Equivalent to: `ipset list -n`.
    public func setNames() throws(IPSetError) -> [String] {
        let operation = "ipset list -n"
        return try run(operation) { connection throws(IPSetError) in
            var request = IPSetMessage(.list, flags: IPSetMessage.request | IPSetMessage.ack | IPSetMessage.dump)
            request.be32(IPSetMessage.Attribute.flags.rawValue, 1 << 1)  // IPSET_FLAG_LIST_SETNAME
            let messages = try connection.exchange(request, operation: operation) { code, _ in
                Self.kernelError(code, operation: operation, names: [], command: .list)
            }
            var names: [String] = []
            for message in messages {
                if let name = NetlinkAttributes(message.dropFirst(20)).string(IPSetMessage.Attribute.setName.rawValue), !names.contains(name) {
                    names.append(name)
                }
            }
            return names
        }
    }

    // MARK: - Requests

    private func simple(_ command: IPSetMessage.Command, _ operation: String, names: [String]) throws(IPSetError) {
        for name in names { try Self.check(name, operation: operation) }
        try run(operation) { connection throws(IPSetError) in
            var request = IPSetMessage(command, flags: IPSetMessage.request | IPSetMessage.ack)
            request.string(IPSetMessage.Attribute.setName.rawValue, names[0])
            if names.count > 1 { request.string(IPSetMessage.Attribute.typeName.rawValue, names[1]) }  // IPSET_ATTR_SETNAME2
            _ = try connection.exchange(request, operation: operation) { code, _ in
                Self.kernelError(code, operation: operation, names: names, command: command)
            }
        }
    }

    private func change(_ command: IPSetMessage.Command, _ members: [IPSetMember], _ name: String, strict: Bool) throws(IPSetError) {
        let verb = command == .add ? "add" : "del"
        let operation = members.count == 1 ? "ipset \(verb) \(name) \(members[0])" : "ipset \(verb) \(name) (\(members.count) members)"
        try Self.check(name, operation: operation)
        var lengths: [Int] = []
        for member in members {
            guard let length = member.prefixLength, !member.physdev, !member.nomatch else {
                throw IPSetError(.invalid, "\(member) is not a member natgate writes: give a network with a prefix length (10.1.0.0/24), and no physdev: or nomatch.", operation: operation)
            }
            lengths.append(length)
        }
        guard !members.isEmpty else { return }
        try run(operation) { connection throws(IPSetError) in
            var start = 0
            while start < members.count {
                let end = min(start + Self.membersPerMessage, members.count)
                var request = IPSetMessage(command, family: members[start].network.family == .ipv4 ? 2 : 10,
                                           flags: IPSetMessage.request | IPSetMessage.ack | (strict ? IPSetMessage.excl : 0))
                request.string(IPSetMessage.Attribute.setName.rawValue, name)
                request.be32(IPSetMessage.Attribute.lineNumber.rawValue, 0)
                request.beginNest(IPSetMessage.Attribute.adt.rawValue)
                for index in start..<end {
                    request.member(members[index], prefixLength: lengths[index], line: UInt32(index - start + 1))
                }
                request.endNest()
                let base = start
                _ = try connection.exchange(request, operation: operation) { code, line in
                    let member = line.flatMap { $0 >= 1 && base + Int($0) - 1 < end ? members[base + Int($0) - 1] : nil }
                    return Self.kernelError(code, operation: member.map { "ipset \(verb) \(name) \($0)" } ?? operation, names: [name], command: command)
                }
                start = end
            }
        }
    }

    /// Runs `body` with a socket opened inside the namespace.
    private func run<T>(_ operation: String, _ body: (borrowing Connection) throws(IPSetError) -> T) throws(IPSetError) -> T {
        do {
            return try namespace.run { () throws -> T in
                let connection = Connection(socket: try IPSetSocket(operation: operation))
                return try body(connection)
            }
        } catch let error as IPSetError {
            throw error
        } catch {
            throw IPSetError(.system, "Could not enter network namespace \(namespace): \(error)", operation: operation)
        }
    }

    /// One socket and the requests sent on it.
    private struct Connection: ~Copyable {
        let socket: IPSetSocket

        /// Sends `message` and returns the data messages of the answer, up to the acknowledgement
        /// or `NLMSG_DONE`. A kernel error becomes `failure(errno, failingLine)`.
        func exchange(
            _ message: IPSetMessage, operation: String, failure: (Int32, UInt32?) -> IPSetError
        ) throws(IPSetError) -> [ArraySlice<UInt8>] {
            let sequence = UInt32(truncatingIfNeeded: time(nil))
            try socket.send(message.finished(sequence: sequence), operation: operation)
            let collector = MessageCollector()
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var more = true
            while more {
                let count = try socket.receive(into: &buffer, operation: operation)
                if let (code, line) = Self.kernelError(in: buffer[0..<count]) { throw failure(code, line) }
                more = try dataMessages(buffer[0..<count], sequence: sequence, portID: socket.portID, into: collector, operation: operation)
            }
            return collector.messages.map { $0[...] }
        }

        /// The first `NLMSG_ERROR` with a non-zero error in a datagram, and the failing member's
        /// number when the kernel echoed the request with its command-level IPSET_ATTR_LINENO set.
        static func kernelError(in datagram: ArraySlice<UInt8>) -> (Int32, UInt32?)? {
            var offset = datagram.startIndex
            func u32(_ at: Int) -> UInt32 { datagram[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
            while offset + 20 <= datagram.endIndex {
                let length = Int(u32(offset))
                let type = UInt16(datagram[offset + 4]) | UInt16(datagram[offset + 5]) << 8
                guard length >= 16, offset + length <= datagram.endIndex else { return nil }
                if type == 2 {  // NLMSG_ERROR
                    let code = Int32(bitPattern: u32(offset + 16))
                    if code == 0 { return nil }
                    var line: UInt32?
                    // The echoed request: header (16), nfgenmsg (4), then its attributes.
                    let echo = offset + 20
                    if echo + 20 <= offset + length {
                        let attributes = NetlinkAttributes(datagram[(echo + 20)..<(offset + length)])
                        line = attributes.be32(IPSetMessage.Attribute.lineNumber.rawValue).flatMap { $0 == 0 ? nil : $0 }
                    }
                    return (-code, line)
                }
                offset += (length + 3) & ~3
            }
            return nil
        }
    }

    // MARK: - Answers

    static func listing(of name: String, from messages: [ArraySlice<UInt8>], operation: String) throws(IPSetError) -> IPSetListing {
        var listing: IPSetListing?
        for message in messages {
            let attributes = NetlinkAttributes(message.dropFirst(20))
            if listing == nil {
                guard let typeName = attributes.string(IPSetMessage.Attribute.typeName.rawValue),
                      let family = attributes.u8(IPSetMessage.Attribute.family.rawValue)
                else { continue }
                let header = attributes.first(IPSetMessage.Attribute.data.rawValue).map(NetlinkAttributes.init)
                listing = IPSetListing(
                    name: attributes.string(IPSetMessage.Attribute.setName.rawValue) ?? name, typeName: typeName,
                    family: family == 10 ? .ipv6 : .ipv4, revision: attributes.u8(IPSetMessage.Attribute.revision.rawValue) ?? 0,
                    references: header?.be32(IPSetMessage.Attribute.references) ?? 0, members: [])
                // natgate reads members of hash:net,iface sets only; another type (a set made by
                // hand under a natgate name, say) comes back with its header, for drift to name.
                guard typeName == "hash:net,iface" else { return listing! }
                // The header says how many members follow (Linux 4.18 and later): room for them
                // at once, not by doubling.
                if let count = header?.be32(IPSetMessage.Attribute.elements), count <= 1 << 24 {
                    listing?.members.reserveCapacity(Int(count))
                }
            }
            var reader = MemberReader()
            for adt in attributes.all(IPSetMessage.Attribute.adt.rawValue) {
                let read: Result<Void, IPSetError> = adt.withUnsafeBytes { bytes in
                    Result { () throws(IPSetError) in
                        try NetlinkAttributes.forEach(in: bytes) { (type, data) throws(IPSetError) in
                            guard type == IPSetMessage.Attribute.data.rawValue else { return }
                            listing?.members.append(try reader.member(data, operation: operation))
                        }
                    }
                }
                try read.get()
            }
        }
        guard let listing else {
            throw IPSetError(.noSuchSet, "The kernel's answer about ip set \(ModelError.quote(name)) had no header.", operation: operation)
        }
        return listing
    }

    /// Reads members from their IPSET_ATTR_DATA nests in place, allocating nothing per member but
    /// what an IPv6 address needs; the interface name of the member before is reused when the
    /// next has the same (the members of one set mostly share a few uplinks).
    struct MemberReader {
        private var lastInterface: (bytes: [UInt8], name: InterfaceName)?

        mutating func member(_ data: UnsafeRawBufferPointer, operation: String) throws(IPSetError) -> IPSetMember {
            var ip: UnsafeRawBufferPointer?
            var cidr = 0
            var flags: UInt32 = 0
            var interfaceBytes: UnsafeRawBufferPointer?
            NetlinkAttributes.forEach(in: data) { type, payload in
                switch type {
                case IPSetMessage.Attribute.ip: if ip == nil { ip = payload }
                case IPSetMessage.Attribute.cidr: if let first = payload.first { cidr = Int(first) }
                case IPSetMessage.Attribute.cadtFlags: if payload.count >= 4 { flags = payload.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
                case IPSetMessage.Attribute.interface: if interfaceBytes == nil { interfaceBytes = payload }
                default: break
                }
            }
            // The first of each, as `NetlinkAttributes.first` gives it; an absent cidr reads as 0.
            var v4: UnsafeRawBufferPointer?
            var v6: UnsafeRawBufferPointer?
            if let ip {
                NetlinkAttributes.forEach(in: ip) { type, payload in
                    if type == IPSetMessage.Attribute.ipv4, v4 == nil { v4 = payload }
                    if type == IPSetMessage.Attribute.ipv6, v6 == nil { v6 = payload }
                }
            }
            let network: IPNetwork
            if let v4, v4.count == 4, cidr <= 32 {
                network = .v4(IPv4Network(masking: IPv4Address(rawValue: v4.reduce(0) { $0 << 8 | UInt32($1) }), prefixLength: cidr))
            } else if let v6, v6.count == 16, cidr <= 128 {
                network = .v6(IPv6Network(masking: IPv6Address(bytes: Array(v6)), prefixLength: cidr))
            } else {
                throw IPSetError(.system, "The kernel listed a member without a network natgate can read.", operation: operation)
            }
            let raw = interfaceBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
            let name = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.firstIndex(of: 0) ?? raw.count)])
            let interface: InterfaceName
            if let last = lastInterface, last.bytes.elementsEqual(name) {
                interface = last.name
            } else {
                let text = String(decoding: name, as: UTF8.self)
                guard let valid = try? InterfaceName(text) else {
                    throw IPSetError(.system, "The kernel listed a member with interface \(ModelError.quote(text)), which natgate cannot represent.", operation: operation)
                }
                interface = valid
                lastInterface = (Array(name), valid)
            }
            return IPSetMember(network: network, interface: interface, physdev: flags & (1 << 1) != 0, nomatch: flags & (1 << 2) != 0)
        }
    }

    static func check(_ name: String, operation: String) throws(IPSetError) {
        do { try SetMatch.checkSetName(name) } catch {
            throw IPSetError(.invalid, (error as? ModelError)?.message ?? "\(error)", operation: operation)
        }
    }

    /// An error the kernel's ip set code answered with, in words that fit the command.
    static func kernelError(_ code: Int32, operation: String, names: [String], command: IPSetMessage.Command) -> IPSetError {
        let set = names.first.map { ModelError.quote($0) } ?? "the set"
        let second = names.count > 1 ? ModelError.quote(names[1]) : "the second set"
        let (kind, message): (IPSetError.Kind, String) = switch (code, command) {
        case (EPERM, _), (EACCES, _):
            (.permissionDenied, "ip sets can be changed and read only by root (CAP_NET_ADMIN in the network namespace); run natgate as root.")
        case (ENOENT, _):
            (.noSuchSet, "No ip set \(set) exists in this network namespace; `ipset list -n` shows the sets there.")
        case (EEXIST, .create):
            (.setExists, "An ip set \(set) already exists: destroy it first (ipset destroy \(names.first ?? "")), or use another name.")
        case (4101, .rename):  // IPSET_ERR_EXIST_SETNAME2
            (.setExists, "An ip set \(second) already exists, so \(set) cannot take that name.")
        case (4101, _):
            (.noSuchSet, "No ip set \(second) exists in this network namespace.")
        case (4100, _):  // IPSET_ERR_BUSY
            (.inUse, "ip set \(set) is in use by a rule (or a list:set set): delete the rules that match it (iptables-legacy-save shows them), then destroy it.")
        case (4108, _):  // IPSET_ERR_REFERENCED
            (.inUse, "ip set \(set) is in use by a rule, and a set a rule uses cannot be renamed: swap its contents into a new set instead.")
        case (4102, _):  // IPSET_ERR_TYPE_MISMATCH
            (.incompatible, "ip sets \(set) and \(second) differ in type or family, so they cannot be swapped.")
        case (4103, .add):  // IPSET_ERR_EXIST
            (.memberExists, "The member is already in ip set \(set).")
        case (4103, _):
            (.memberMissing, "The member is not in ip set \(set).")
        case (4352, _):  // IPSET_ERR_HASH_FULL
            (.setFull, "ip set \(set) is full (its maxelem): create a larger set and swap it in.")
        case (4097, .add), (4097, .delete), (4104, _), (4106, _), (4109, _), (4110, _):
            // IPSET_ERR_PROTOCOL here: the member lacks the set family's address attribute;
            // then cidr, family, IPv4/IPv6 address.
            (.invalid, "The member does not fit ip set \(set): check that its family is the set's and its prefix length is 1 to 32 (IPv4) or 128 (IPv6).")
        case (4098, _):  // IPSET_ERR_FIND_TYPE
            (.unsupported, "This kernel has no hash:net,iface ip set type (CONFIG_IP_SET_HASH_NETIFACE).")
        case (4097, _), (EPROTO, _):  // IPSET_ERR_PROTOCOL
            (.unsupported, "The kernel refused the request's format (ip set protocol); report your kernel version.")
        default:
            (.system, "The kernel refused the request.")
        }
        return IPSetError(kind, message, operation: operation, errno: code)
    }
}
