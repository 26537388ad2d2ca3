import NatgateModel

// Revision 0: struct xt_tcpmss_info { __u16 mss; }, 2 bytes, host order; 0xffff = clamp to PMTU.
//   -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400   (mangle)   7805
//   -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu        ffff
extension TCPMSSTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { 2 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        var writer = ByteWriter(capacity: 2)
        switch setting {
        case .mss(let mss): writer.u16(mss)
        case .clampToPMTU, nil: writer.u16(0xFFFF)
        }
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let mss = try payload.u16()
        return try losslessTarget(TCPMSSTarget(mss == 0xFFFF ? .clampToPMTU : .mss(mss)), payload: payload, context: context)
    }
}
