import NatgateModel

// IPv4 `icmp` and IPv6 `icmp6`, revision 0, 4 bytes (8 in the entry), the same layout:
//   struct ipt_icmp / ip6t_icmp {
//       __u8 type;        // 0: 255 is IPv4's `any`
//       __u8 code[2];     // 1: code range, 0 and 255 for every code
//       __u8 invflags;    // 3: 0x01 when negated
//   };
enum ICMPLayout {
    static func encode(_ test: Negatable<ICMPType>?, name: String) throws -> [UInt8] {
        guard let test else {
            throw ModelError(.missingArgument, input: name, "-m \(name) without a type cannot be written to the kernel: give the type to match.")
        }
        return [test.value.type, test.value.codes.lowerBound, test.value.codes.upperBound, test.negated ? 1 : 0]
    }

    static func decode(_ payload: ByteReader) throws -> Negatable<ICMPType> {
        var reader = payload
        let type = try reader.u8()
        let low = try reader.u8()
        let high = try reader.u8()
        let invert = try reader.u8()
        guard invert & ~0x01 == 0 else { throw unknownBits("icmp", "invflags", invert) }
        guard low <= high else {
            throw ModelError(.invalidValue, input: "\(type)/\(low):\(high)", "the kernel's ICMP match holds a backwards code range \(low):\(high).")
        }
        return Negatable(ICMPType(type: type, codes: low...high), negated: invert & 0x01 != 0)
    }
}

extension ICMPMatch: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 4 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try ICMPLayout.encode(icmpType, name: Self.name)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var match = ICMPMatch()
        match.icmpType = try ICMPLayout.decode(payload)
        return Match(match)
    }
}

extension ICMPv6Match: KernelMatchCodec {
    public static func payloadSize(for family: Family) -> Int { 4 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try ICMPLayout.encode(icmpType, name: Self.name)
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var match = ICMPv6Match()
        match.icmpType = try ICMPLayout.decode(payload)
        return Match(match)
    }
}
