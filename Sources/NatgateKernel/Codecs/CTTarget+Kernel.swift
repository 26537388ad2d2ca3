import NatgateModel

// Revision 2: struct xt_ct_target_info_v1, 72 bytes:
//   __u16 flags;          //  0: NOTRACK 0x01, NOTRACK_ALIAS 0x02, ZONE_DIR_ORIG 0x04, ZONE_DIR_REPL 0x08, ZONE_MARK 0x10
//   __u16 zone;           //  2
//   __u32 ct_events;      //  4: 1 << IPCT_*
//   __u32 exp_events;     //  8: 1 << IPEXP_NEW
//   char helper[16];      // 12
//   char timeout[32];     // 28
//                         // 60: 4 bytes of padding
//   struct nf_conn *ct;   // 64: the kernel's own pointer; userspace size ends before it
//   -A OUTPUT -j CT --ctevents new,related,mark --expevents new   (raw)
//   00000000 83000000 01000000 00000000 …
//   -A PREROUTING -j CT --zone-orig mark                           (raw)
//   14000000 …
//   -A PREROUTING -j NOTRACK                                       (raw)
//   03000000 …
enum CTKernel {
    static let size = 72
    static let userspaceSize = 64
    static let notrack: UInt16 = 0x01
    static let notrackAlias: UInt16 = 0x02
    static let zoneMark: UInt16 = 0x10
    static let directions: UInt16 = 0x0C

    static func encode(_ target: CTTarget, alias: Bool) throws -> [UInt8] {
        try target.validate(context: ExtensionContext(family: .ipv4))
        var writer = ByteWriter(capacity: size)
        var flags = target.zoneDirections.rawValue
        if target.notrack { flags |= notrack }
        if alias { flags |= notrackAlias }
        if target.zoneFromMark { flags |= zoneMark }
        writer.u16(flags)
        writer.u16(target.zone)
        writer.u32(target.events.rawValue)
        writer.u32(target.expectationEvents.rawValue)
        writer.cString(target.helper, size: 16)
        writer.cString(target.timeout, size: 32)
        writer.zeros(4 + 8)
        return writer.bytes
    }

    /// `-j NOTRACK` when the alias flag is set (and nothing else, as iptables writes it), else `-j CT`.
    static func decode(_ payload: ByteReader, context: ExtensionContext) throws -> Target {
        var payload = payload
        let flags = try payload.u16()
        let zone = try payload.u16()
        let events = try payload.u32()
        let expectationEvents = try payload.u32()
        let helper = try payload.cString(size: 16)
        let timeout = try payload.cString(size: 32)
        guard flags & ~(notrack | notrackAlias | directions | zoneMark) == 0 else {
            throw ModelError(.invalidValue, input: "0x\(String(flags, radix: 16))", "CT flags 0x\(String(flags, radix: 16)) hold bits natgate does not model.")
        }
        if flags & notrackAlias != 0 {
            guard flags == notrack | notrackAlias, zone == 0, events == 0, expectationEvents == 0, helper.isEmpty, timeout.isEmpty else {
                throw ModelError(.invalidValue, input: "0x\(String(flags, radix: 16))", "CT with the NOTRACK alias flag and other settings is not something iptables writes.")
            }
            return try losslessTarget(NotrackTarget(), payload: payload, context: context)
        }
        return try losslessTarget(
            CTTarget(
                notrack: flags & notrack != 0, helper: helper, timeout: timeout, events: CTTarget.Events(rawValue: events),
                expectationEvents: CTTarget.ExpectationEvents(rawValue: expectationEvents), zone: zone,
                zoneFromMark: flags & zoneMark != 0, zoneDirections: CTTarget.ZoneDirections(rawValue: flags & directions)), payload: payload, context: context)
    }
}

extension CTTarget: KernelTargetCodec {
    public static func revision(for family: Family) -> UInt8 { 2 }
    public static func payloadSize(for family: Family) -> Int { CTKernel.size }
    public static func userspaceSize(for family: Family) -> Int { CTKernel.userspaceSize }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] { try CTKernel.encode(self, alias: false) }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        try CTKernel.decode(payload, context: context)
    }
}

// NOTRACK is CT revision 2 under the kernel name "CT" with NOTRACK | NOTRACK_ALIAS (0x0003).
extension NotrackTarget: KernelTargetCodec {
    public static var kernelName: String { "CT" }
    public static func revision(for family: Family) -> UInt8 { 2 }
    public static func payloadSize(for family: Family) -> Int { CTKernel.size }
    public static func userspaceSize(for family: Family) -> Int { CTKernel.userspaceSize }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try CTKernel.encode(CTTarget(notrack: true), alias: true)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        try CTKernel.decode(payload, context: context)
    }
}
