import NatgateModel

/// A decoded port test: none for an un-negated 0:65535, the kernel's "not tested".
private func portTest(_ range: PortRange, negated: Bool) -> Negatable<PortRange>? {
    range.lower == 0 && range.upper == 65535 && !negated ? nil : Negatable(range, negated: negated)
}

/// The error for flag bits iptables never writes and the kernel refuses: such an entry is not one
/// natgate can print, so the backend keeps it as opaque bytes.
func unknownBits(_ match: String, _ field: String, _ value: some BinaryInteger) -> ModelError {
    ModelError(.invalidValue, input: "\(value)", "the kernel's \(match) match holds \(field) 0x\(String(value, radix: 16)), with bits natgate does not know.")
}

// Revision 0, 12 bytes (16 in the entry):
//   struct xt_tcp {
//       __u16 spts[2];     //  0: source port range, host order; 0, 65535 when not tested
//       __u16 dpts[2];     //  4: destination port range
//       __u8 option;       //  8: TCP option kind, 0 when not tested
//       __u8 flg_mask;     //  9: flags to test
//       __u8 flg_cmp;      // 10: flags that must be set
//       __u8 invflags;     // 11: SRCPT 0x01, DSTPT 0x02, FLAGS 0x04, OPTION 0x08
//   };
extension TCPMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 12 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 12)
        writer.u16(sourcePort?.value.lower ?? 0)
        writer.u16(sourcePort?.value.upper ?? 65535)
        writer.u16(destinationPort?.value.lower ?? 0)
        writer.u16(destinationPort?.value.upper ?? 65535)
        writer.u8(option?.value ?? 0)
        writer.u8(flags?.value.mask.rawValue ?? 0)
        writer.u8(flags?.value.comparison.rawValue ?? 0)
        var invert: UInt8 = 0
        if sourcePort?.negated == true { invert |= 0x01 }
        if destinationPort?.negated == true { invert |= 0x02 }
        if flags?.negated == true { invert |= 0x04 }
        if option?.negated == true { invert |= 0x08 }
        writer.u8(invert)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var reader = payload
        let source = try PortRange(lower: try reader.u16(), upper: try reader.u16())
        let destination = try PortRange(lower: try reader.u16(), upper: try reader.u16())
        let option = try reader.u8()
        let mask = try reader.u8()
        let comparison = try reader.u8()
        let invert = try reader.u8()
        guard invert & ~0x0F == 0 else { throw unknownBits("tcp", "invflags", invert) }
        var match = TCPMatch()
        match.sourcePort = portTest(source, negated: invert & 0x01 != 0)
        match.destinationPort = portTest(destination, negated: invert & 0x02 != 0)
        if mask != 0 || comparison != 0 || invert & 0x04 != 0 {
            match.flags = Negatable(TCPFlagTest(mask: TCPFlags(rawValue: mask), comparison: TCPFlags(rawValue: comparison)), negated: invert & 0x04 != 0)
        }
        if option != 0 || invert & 0x08 != 0 { match.option = Negatable(option, negated: invert & 0x08 != 0) }
        return Match(match)
    }
}

// Revision 0, 10 bytes (16 in the entry):
//   struct xt_udp {
//       __u16 spts[2];     // 0: source port range, host order; 0, 65535 when not tested
//       __u16 dpts[2];     // 4: destination port range
//       __u8 invflags;     // 8: SRCPT 0x01, DSTPT 0x02
//   };                     //    + 1 byte of tail padding
extension UDPMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 10 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 10)
        writer.u16(sourcePort?.value.lower ?? 0)
        writer.u16(sourcePort?.value.upper ?? 65535)
        writer.u16(destinationPort?.value.lower ?? 0)
        writer.u16(destinationPort?.value.upper ?? 65535)
        writer.u8((sourcePort?.negated == true ? 0x01 : 0) | (destinationPort?.negated == true ? 0x02 : 0))
        writer.zeros(1)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var reader = payload
        let source = try PortRange(lower: try reader.u16(), upper: try reader.u16())
        let destination = try PortRange(lower: try reader.u16(), upper: try reader.u16())
        let invert = try reader.u8()
        guard invert & ~0x03 == 0 else { throw unknownBits("udp", "invflags", invert) }
        return Match(UDPMatch(
            sourcePort: portTest(source, negated: invert & 0x01 != 0),
            destinationPort: portTest(destination, negated: invert & 0x02 != 0)))
    }
}
