import NatgateModel

// Revision 1 (iptables-legacy 1.8.9), both families:
//   struct xt_recent_mtinfo_v1 {         // 228 bytes
//       __u32 seconds;                   //   0
//       __u32 hit_count;                 //   4
//       __u8 check_set;                  //   8: CHECK 1, SET 2, UPDATE 4, REMOVE 8, TTL 0x10, REAP 0x20
//       __u8 invert;                     //   9
//       char name[XT_RECENT_NAME_LEN];   //  10: 200 bytes, see below
//       __u8 side;                       // 210: 0 source, 1 destination
//                                        // 211: 1 byte padding
//       union nf_inet_addr mask;         // 212: 16 bytes, see below
//   };
// iptables first copies "DEFAULT" into name, then `--name N` copies N and one NUL over it, so a
// name shorter than 7 bytes leaves the tail of "DEFAULT" after its NUL ("SSH\0ULT"). The mask
// starts as 16 bytes of 0xFF; `--mask` then writes the whole union (an IPv4 mask and 12 zeros).
extension RecentMatch: KernelMatchCodec {
    public static func revision(for family: Family) -> UInt8 { 1 }
    public static func payloadSize(for family: Family) -> Int { 228 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 228)
        writer.u32(seconds ?? 0)
        writer.u32(hitCount ?? 0)
        writer.u8(command.kernelBit | (matchTTL ? 0x10 : 0) | (reap ? 0x20 : 0))
        writer.u8(inverted ? 1 : 0)
        var name = Array(RecentMatch.defaultListName.utf8) + Array(repeating: 0, count: 200 - RecentMatch.defaultListName.utf8.count)
        let written = Array(listName.utf8.prefix(199))
        name.replaceSubrange(0..<written.count + 1, with: written + [0])
        writer.raw(name)
        writer.u8(side == .source ? 0 : 1)
        writer.zeros(1)
        switch (mask, context.family) {
        case (.v4(let v4)?, _): writer.raw(v4.bytes + Array(repeating: 0, count: 12))
        case (.v6(let v6)?, _): writer.raw(v6.bytes)
        case (nil, .ipv4) where maskWritten: writer.raw(Array(repeating: 0xFF, count: 4) + Array(repeating: 0, count: 12))
        case (nil, _): writer.raw(Array(repeating: 0xFF, count: 16))
        }
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let seconds = try payload.u32()
        let hitCount = try payload.u32()
        let checkSet = try payload.u8()
        let invert = try payload.u8()
        let name = try payload.cString(size: 200)
        let side = try payload.u8()
        try payload.skip(1)
        let maskBytes = try payload.raw(16)
        guard let command = Command.allCases.first(where: { checkSet & 0x0F == $0.kernelBit }) else {
            throw ModelError(.invalidValue, input: "\(checkSet)", "recent: the kernel entry has command bits \(checkSet & 0x0F), not exactly one of set, rcheck, update and remove.")
        }
        var mask: IPAddress?
        var maskWritten = true
        if context.family == .ipv4 {
            let v4 = IPv4Address(rawValue: maskBytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
            mask = v4.rawValue == .max ? nil : .v4(v4)
            maskWritten = maskBytes.dropFirst(4).contains { $0 != 0xFF }
        } else {
            let v6 = IPv6Address(bytes: maskBytes)
            mask = maskBytes.allSatisfy { $0 == 0xFF } ? nil : .v6(v6)
            maskWritten = mask != nil
        }
        let decoded = RecentMatch(
                command: command, inverted: invert != 0, seconds: seconds == 0 ? nil : seconds, reap: checkSet & 0x20 != 0,
                hitCount: hitCount == 0 ? nil : hitCount, matchTTL: checkSet & 0x10 != 0, listName: name, mask: mask,
                side: side == 0 ? .source : .destination, maskWritten: maskWritten)
        // What follows the name's NUL is whatever iptables' buffer held; it means nothing.
        let nameEnd = 10 + name.utf8.count + 1
        return try lossless(decoded, from: payload, context: context, ignoring: nameEnd < 210 ? [nameEnd..<210] : [])
    }
}

extension RecentMatch.Command {
    /// The kernel's `check_set` bit: XT_RECENT_CHECK 1, SET 2, UPDATE 4, REMOVE 8.
    var kernelBit: UInt8 {
        switch self {
        case .check: 1
        case .set: 2
        case .update: 4
        case .remove: 8
        }
    }
}
