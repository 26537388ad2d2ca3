import NatgateModel

// IPv4, revision 0 (iptables-legacy 1.8.9):
//   struct nf_nat_ipv4_multi_range_compat {     // 20 bytes
//       unsigned int rangesize;                 // 0: always 1
//       struct nf_nat_ipv4_range range[1];      // 4: flags u32, min_ip be32, max_ip be32,
//   };                                          //    min be16 (port), max be16 (port)
// IPv6, revision 0:
//   struct nf_nat_range {                       // 40 bytes
//       unsigned int flags;                     // 0
//       union nf_inet_addr min_addr, max_addr;  // 4, 20 (unused by MASQUERADE)
//       union nf_conntrack_man_proto min_proto, max_proto;  // 36, 38: be16 ports
//   };
// flags: NF_NAT_RANGE_MAP_IPS 1, PROTO_SPECIFIED 2, PROTO_RANDOM 4, PERSISTENT 8, PROTO_RANDOM_FULLY 16.
extension MasqueradeTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { family == .ipv4 ? 20 : 40 }

    var natFlags: UInt32 {
        (ports != nil ? 2 : 0) | (random ? 4 : 0) | (randomFully ? 16 : 0)
    }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 40)
        if context.family == .ipv4 {
            writer.u32(1)
            writer.u32(natFlags)
            writer.zeros(8)
        } else {
            writer.u32(natFlags)
            writer.zeros(32)
        }
        writer.be16(ports?.lower ?? 0)
        writer.be16(ports?.upper ?? 0)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let flags: UInt32
        if context.family == .ipv4 {
            _ = try payload.u32()
            flags = try payload.u32()
            try payload.skip(8)
        } else {
            flags = try payload.u32()
            try payload.skip(32)
        }
        let lower = try payload.be16()
        let upper = try payload.be16()
        var target = MasqueradeTarget()
        if flags & 2 != 0 { target.ports = try PortRange(lower: lower, upper: upper) }
        target.random = flags & 4 != 0
        target.randomFully = flags & 16 != 0
        return Target(target)
    }
}
