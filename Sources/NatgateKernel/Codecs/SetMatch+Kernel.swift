import NatgateModel

// Revision 4 (iptables-legacy 1.8.9 on this kernel), both families:
//   struct xt_set_info_match_v4 {            // 48 bytes
//       struct xt_set_info match_set {       //  0
//           ip_set_id_t index;               //  0: u16, the set's index in the namespace
//           __u8 dim;                        //  2: how many directions
//           __u8 flags;                      //  3: bit 0 `!`; bit i set: direction i is src
//       };                                   //  4: 4 bytes padding
//       struct ip_set_counter_match packets { __aligned_u64 value; __u8 op; };  //  8: value, 16: op, 7 padding
//       struct ip_set_counter_match bytes;   // 24: value, 32: op, 7 padding
//       __u32 flags;                         // 40: IPSET_FLAG_RETURN_NOMATCH 0x80,
//                                            //     SKIP_COUNTER_UPDATE 0x08, SKIP_SUBCOUNTER_UPDATE 0x10
//   };                                       // 44: 4 bytes padding
// The index comes from the context's ip set resolver: the set must exist in the namespace the
// rule is written to, and hold addresses of the rule's family.
extension SetMatch: KernelMatchCodec {
    static let returnNomatchFlag: UInt32 = 0x80
    static let skipCounterUpdateFlag: UInt32 = 0x08
    static let skipSubcounterUpdateFlag: UInt32 = 0x10

    public static func revision(for family: Family) -> UInt8 { 4 }
    public static func payloadSize(for family: Family) -> Int { 48 }

    public func encodePayload(context: ExtensionContext) throws -> [UInt8] {
        try validate(context: context)
        guard let sets = context.ipSets?.resolver else {
            throw ModelError(.notAllowed, input: setName, "-m set --match-set \(setName) needs the kernel's set index, and nothing here can look it up: write the rule through KernelBackend, which resolves set names in its namespace.")
        }
        let index = try sets.index(ofSet: setName, family: context.family)
        var dimensionFlags: UInt8 = negated ? 1 : 0
        for (offset, direction) in directions.enumerated() where direction == .source {
            dimensionFlags |= 1 << (offset + 1)
        }
        var flags: UInt32 = 0
        if returnNomatch { flags |= Self.returnNomatchFlag }
        if !updateCounters { flags |= Self.skipCounterUpdateFlag }
        if !updateSubcounters { flags |= Self.skipSubcounterUpdateFlag }

        var writer = ByteWriter(capacity: 48)
        writer.u16(index)
        writer.u8(UInt8(directions.count))
        writer.u8(dimensionFlags)
        writer.zeros(4)
        for condition in [packets, bytes] {
            writer.u64(condition?.value ?? 0)
            writer.u8(condition?.kernelOperator ?? 0)
            writer.zeros(7)
        }
        writer.u32(flags)
        writer.zeros(4)
        return writer.bytes
    }

    public static func decode(payload: ByteReader, revision: UInt8, context: ExtensionContext) throws -> Match {
        var payload = payload
        let index = try payload.u16()
        let dimensions = Int(try payload.u8())
        let dimensionFlags = try payload.u8()
        guard (1...maximumDimensions).contains(dimensions) else {
            throw ModelError(.invalidValue, input: "set", "set match with \(dimensions) dimensions")
        }
        try payload.skip(4)
        var conditions: [SetCounterCondition?] = []
        for what in ["packets", "bytes"] {
            let value = try payload.u64()
            let op = try payload.u8()
            try payload.skip(7)
            guard op == 0 || SetCounterCondition(kernelOperator: op, value: value) != nil else {
                throw ModelError(.invalidValue, input: "set", "set match with \(what) operator \(op)")
            }
            conditions.append(op == 0 ? nil : SetCounterCondition(kernelOperator: op, value: value))
        }
        let flags = try payload.u32()
        try payload.skip(4)
        guard let sets = context.ipSets?.resolver else {
            throw ModelError(.notAllowed, input: "set", "a set match's set index \(index) cannot be named without an ip set resolver")
        }
        let name = try sets.name(ofSetIndex: index)
        let match = SetMatch(
            setName: name,
            directions: (1...dimensions).map { dimensionFlags & (1 << $0) != 0 ? .source : .destination },
            negated: dimensionFlags & 1 != 0,
            returnNomatch: flags & returnNomatchFlag != 0,
            updateCounters: flags & skipCounterUpdateFlag == 0,
            updateSubcounters: flags & skipSubcounterUpdateFlag == 0,
            packets: conditions[0], bytes: conditions[1])
        return try lossless(match, from: payload, context: context)
    }
}
