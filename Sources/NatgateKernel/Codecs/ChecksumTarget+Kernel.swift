import NatgateModel

// Revision 0: struct xt_CHECKSUM_info { __u8 operation; }, 1 byte; XT_CHECKSUM_OP_FILL = 1.
//   -A POSTROUTING -p udp -j CHECKSUM --checksum-fill   (mangle)   01
extension ChecksumTarget: KernelTargetCodec {
    public static func payloadSize(for family: Family) -> Int { 1 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        return [1]
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Target {
        var payload = payload
        let operation = try payload.u8()
        guard operation == 1 else {
            throw ModelError(.invalidValue, input: "\(operation)", "CHECKSUM operation \(operation) is not --checksum-fill.")
        }
        return try losslessTarget(ChecksumTarget(fill: true), payload: payload, context: context)
    }
}
