import NatgateModel

// Revision 0: struct xt_log_info, 32 bytes.
//   unsigned char level;      // 0
//   unsigned char logflags;   // 1: XT_LOG_TCPSEQ 0x01, TCPOPT 0x02, IPOPT 0x04, UID 0x08, MACDECODE 0x20
//   char prefix[30];          // 2: NUL-terminated
//   -A INPUT -j LOG --log-prefix "hello world: " --log-level 7 --log-tcp-sequence --log-tcp-options
//      --log-ip-options --log-uid --log-macdecode
//   072f6865 6c6c6f20 776f726c 643a2000 00000000 00000000 00000000 00000000
extension LogTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { 32 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        var writer = ByteWriter(capacity: 32)
        writer.u8(level)
        writer.u8(flags.rawValue)
        writer.cString(prefix, size: 30)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let level = try payload.u8()
        let flags = try payload.u8()
        let prefix = try payload.cString(size: 30)
        guard flags & ~0x2F == 0, level <= 7 else {
            throw ModelError(.invalidValue, input: "\(level)/\(flags)", "LOG level \(level) flags 0x\(String(flags, radix: 16)) are outside what iptables writes.")
        }
        return try losslessTarget(LogTarget(level: level, prefix: prefix, flags: Flags(rawValue: flags)), payload: payload, context: context)
    }
}
