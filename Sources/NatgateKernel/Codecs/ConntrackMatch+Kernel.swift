import NatgateModel

// Revision 3, 164 bytes (168 with the entry's padding); the same struct for IPv4 and IPv6.
//   struct xt_conntrack_mtinfo3 {
//       union nf_inet_addr origsrc_addr, origsrc_mask;   //   0,  16   16 bytes each; IPv4 uses
//       union nf_inet_addr origdst_addr, origdst_mask;   //  32,  48   the first 4 (network order)
//       union nf_inet_addr replsrc_addr, replsrc_mask;   //  64,  80
//       union nf_inet_addr repldst_addr, repldst_mask;   //  96, 112
//       __u32 expires_min, expires_max;                  // 128, 132
//       __u16 l4proto;                                   // 136
//       __u16 origsrc_port, origdst_port;                // 138, 140   host order in revision 3
//       __u16 replsrc_port, repldst_port;                // 142, 144
//       __u16 match_flags, invert_flags;                 // 146, 148
//       __u16 state_mask, status_mask;                   // 150, 152
//       __u16 origsrc_port_high, origdst_port_high;      // 154, 156
//       __u16 replsrc_port_high, repldst_port_high;      // 158, 160   + 2 bytes of tail padding
//   };
// match_flags / invert_flags: STATE 1, PROTO 2, ORIGSRC 4, ORIGDST 8, REPLSRC 0x10, REPLDST 0x20,
// STATUS 0x40, EXPIRES 0x80, ORIGSRC_PORT 0x100, ORIGDST_PORT 0x200, REPLSRC_PORT 0x400,
// REPLDST_PORT 0x800, DIRECTION 0x1000 (inverted = REPLY), STATE_ALIAS 0x2000 (written by -m state).
// iptables writes a bare IPv4 address's mask as 16 bytes of 0xFF and `/N` as 4 mask bytes; natgate
// writes the canonical (bare) form for /32.
enum ConntrackLayout {
    static let size = 164
    static let state: UInt16 = 0x0001, proto: UInt16 = 0x0002, origSource: UInt16 = 0x0004, origDestination: UInt16 = 0x0008
    static let replySource: UInt16 = 0x0010, replyDestination: UInt16 = 0x0020, status: UInt16 = 0x0040, expires: UInt16 = 0x0080
    static let origSourcePort: UInt16 = 0x0100, origDestinationPort: UInt16 = 0x0200
    static let replySourcePort: UInt16 = 0x0400, replyDestinationPort: UInt16 = 0x0800
    static let direction: UInt16 = 0x1000, stateAlias: UInt16 = 0x2000

    /// The 32 bytes of an address and its mask, or zeros when the test is absent.
    static func addressBytes(_ address: ConntrackMatch.Address?) -> [UInt8] {
        guard let address else { return [UInt8](repeating: 0, count: 32) }
        switch address.address {
        case .v4(let v4):
            let mask: [UInt8] = address.prefixLength == 32
                ? [UInt8](repeating: 0xFF, count: 16)
                : IPv4Address(rawValue: IPv4Network.mask(prefixLength: address.prefixLength)).bytes + [UInt8](repeating: 0, count: 12)
            return v4.bytes + [UInt8](repeating: 0, count: 12) + mask
        case .v6(let v6):
            return v6.bytes + IPv6Network.mask(prefixLength: address.prefixLength).bytes
        }
    }

    static func address(_ bytes: [UInt8], family: Family) throws -> ConntrackMatch.Address {
        switch family {
        case .ipv4:
            let mask = bytes[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let length = (~mask).leadingZeroBitCount
            guard IPv4Network.mask(prefixLength: length) == mask else {
                throw ModelError(.invalidNetwork, input: "\(mask)", "the kernel's conntrack match holds a non-contiguous mask, which natgate cannot print.")
            }
            let raw = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return try ConntrackMatch.Address(.v4(IPv4Address(rawValue: raw)), prefixLength: length)
        case .ipv6:
            let mask = IPv6Address(bytes: Array(bytes[16..<32]))
            guard let length = IPv6Network(masking: mask, mask: mask).prefixLength else {
                throw ModelError(.invalidNetwork, input: "\(mask)", "the kernel's conntrack match holds a non-contiguous mask, which natgate cannot print.")
            }
            return try ConntrackMatch.Address(.v6(IPv6Address(bytes: Array(bytes[0..<16]))), prefixLength: length)
        }
    }
}

extension ConntrackMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 3 }
    public static func payloadSize(for family: Family) -> Int { ConntrackLayout.size }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        typealias L = ConntrackLayout
        var matchFlags: UInt16 = 0
        var invertFlags: UInt16 = 0
        func note<T>(_ test: Negatable<T>?, _ flag: UInt16) {
            guard let test else { return }
            matchFlags |= flag
            if test.negated { invertFlags |= flag }
        }
        note(states, L.state)
        note(l4Protocol, L.proto)
        note(originalSource, L.origSource)
        note(originalDestination, L.origDestination)
        note(replySource, L.replySource)
        note(replyDestination, L.replyDestination)
        note(status, L.status)
        note(expires, L.expires)
        note(originalSourcePort, L.origSourcePort)
        note(originalDestinationPort, L.origDestinationPort)
        note(replySourcePort, L.replySourcePort)
        note(replyDestinationPort, L.replyDestinationPort)
        if let direction {
            matchFlags |= L.direction
            if direction == .reply { invertFlags |= L.direction }
        }

        var writer = ByteWriter(capacity: L.size)
        writer.raw(L.addressBytes(originalSource?.value))
        writer.raw(L.addressBytes(originalDestination?.value))
        writer.raw(L.addressBytes(replySource?.value))
        writer.raw(L.addressBytes(replyDestination?.value))
        writer.u32(expires?.value.lowerBound ?? 0)
        writer.u32(expires?.value.upperBound ?? 0)
        writer.u16(UInt16(l4Protocol?.value.number ?? 0))
        let ports = [originalSourcePort, originalDestinationPort, replySourcePort, replyDestinationPort]
        for port in ports { writer.u16(port?.value.lower ?? 0) }
        writer.u16(matchFlags)
        writer.u16(invertFlags)
        writer.u16(states?.value.rawValue ?? 0)
        writer.u16(status?.value.rawValue ?? 0)
        for port in ports { writer.u16(port?.value.upper ?? 0) }
        writer.zeros(2)
        return writer.bytes
    }

    /// Decodes revision 3; an entry written by `-m state` comes back as a `StateMatch`.
    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        typealias L = ConntrackLayout
        var reader = payload
        let addresses = try (0..<4).map { _ in try reader.raw(32) }
        let expiresMin = try reader.u32()
        let expiresMax = try reader.u32()
        let l4proto = try reader.u16()
        let lows = try (0..<4).map { _ in try reader.u16() }
        let matchFlags = try reader.u16()
        let invertFlags = try reader.u16()
        let stateMask = try reader.u16()
        let statusMask = try reader.u16()
        let highs = try (0..<4).map { _ in try reader.u16() }

        func negated(_ flag: UInt16) -> Bool { invertFlags & flag != 0 }
        func has(_ flag: UInt16) -> Bool { matchFlags & flag != 0 }

        guard matchFlags & ~0x3FFF == 0, invertFlags & ~matchFlags & 0x1FFF == 0 else {
            throw unknownBits("conntrack", "match_flags/invert_flags", UInt32(matchFlags) << 16 | UInt32(invertFlags))
        }
        if matchFlags == L.state | L.stateAlias {
            return Match(StateMatch(states: ConntrackStates(rawValue: stateMask), negated: negated(L.state)))
        }
        var match = ConntrackMatch()
        if has(L.state) { match.states = Negatable(ConntrackStates(rawValue: stateMask), negated: negated(L.state)) }
        if has(L.proto) { match.l4Protocol = Negatable(IPProtocol(number: UInt8(truncatingIfNeeded: l4proto)), negated: negated(L.proto)) }
        let addressFlags = [L.origSource, L.origDestination, L.replySource, L.replyDestination]
        var decodedAddresses: [Negatable<Address>?] = []
        for (index, flag) in addressFlags.enumerated() {
            decodedAddresses.append(has(flag) ? Negatable(try L.address(addresses[index], family: context.family), negated: negated(flag)) : nil)
        }
        match.originalSource = decodedAddresses[0]
        match.originalDestination = decodedAddresses[1]
        match.replySource = decodedAddresses[2]
        match.replyDestination = decodedAddresses[3]
        let portFlags = [L.origSourcePort, L.origDestinationPort, L.replySourcePort, L.replyDestinationPort]
        var decodedPorts: [Negatable<PortRange>?] = []
        for (index, flag) in portFlags.enumerated() {
            // iptables prints a zero high port as a single port.
            let high = highs[index] == 0 ? lows[index] : highs[index]
            decodedPorts.append(has(flag) ? Negatable(try PortRange(lower: lows[index], upper: high), negated: negated(flag)) : nil)
        }
        match.originalSourcePort = decodedPorts[0]
        match.originalDestinationPort = decodedPorts[1]
        match.replySourcePort = decodedPorts[2]
        match.replyDestinationPort = decodedPorts[3]
        if has(L.status) { match.status = Negatable(ConntrackStatus(rawValue: statusMask), negated: negated(L.status)) }
        if has(L.expires) {
            guard expiresMin <= expiresMax else {
                throw ModelError(.invalidValue, input: "\(expiresMin):\(expiresMax)", "the kernel's conntrack match holds a backwards --ctexpire range \(expiresMin):\(expiresMax).")
            }
            match.expires = Negatable(expiresMin...expiresMax, negated: negated(L.expires))
        }
        if has(L.direction) { match.direction = negated(L.direction) ? .reply : .original }
        return Match(match)
    }
}

// `-m state` is written as conntrack revision 3 with match_flags STATE | STATE_ALIAS (0x2001);
// see ConntrackMatch for the layout. Decoding goes through ConntrackMatch.decode.
extension StateMatch: KernelMatchCodec {
    public static var kernelName: String { ConntrackMatch.name }
    public static func revision(for family: Family) -> UInt8 { 3 }
    public static func payloadSize(for family: Family) -> Int { ConntrackLayout.size }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        var writer = ByteWriter(capacity: ConntrackLayout.size)
        writer.zeros(146)
        writer.u16(ConntrackLayout.state | ConntrackLayout.stateAlias)
        writer.u16(states?.negated == true ? ConntrackLayout.state : 0)
        writer.u16(states?.value.rawValue ?? 0)
        writer.zeros(ConntrackLayout.size - 152)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        try ConntrackMatch.decode(payload: payload, revision: revision, context: context)
    }
}
