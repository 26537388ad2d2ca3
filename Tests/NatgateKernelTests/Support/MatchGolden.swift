import NatgateKernel
import NatgateModel

/// Golden payloads of match extensions, as iptables-legacy 1.8.9 wrote them: the bytes after the
/// 32-byte `xt_entry_match` header, padding included, dumped with libiptc from a namespace where
/// `iptables-legacy -A INPUT …` had loaded the rule.
enum MatchGolden {
    /// Bytes from hex pairs separated by any whitespace, as a dump prints them 16 a row.
    static func bytes(_ hex: String) -> [UInt8] {
        hex.split(whereSeparator: \.isWhitespace).map { UInt8($0, radix: 16)! }
    }

    /// The payload as it stands in the kernel entry: encoded, then zero-padded to 8 bytes.
    static func entryPayload<M: KernelMatchCodec>(_ match: M, family: Family = .ipv4, ipProtocol: IPProtocol? = nil) throws -> [UInt8] {
        var payload = try match.encodePayload(context: ExtensionContext(family: family, ipProtocol: ipProtocol))
        precondition(payload.count == M.payloadSize(for: family), "\(M.name) encoded \(payload.count) bytes, declared \(M.payloadSize(for: family))")
        while payload.count % 8 != 0 { payload.append(0) }
        return payload
    }

    /// Decodes a payload with `M`'s codec.
    static func decode<M: KernelMatchCodec>(_ type: M.Type, _ payload: [UInt8], family: Family = .ipv4, ipProtocol: IPProtocol? = nil) throws -> Match {
        try M.decode(payload: ByteReader(payload), revision: M.revision(for: family), context: ExtensionContext(family: family, ipProtocol: ipProtocol))
    }

    /// Four bytes a line, with offsets, for readable failure messages.
    static func diff(_ got: [UInt8], _ want: [UInt8]) -> String {
        var lines: [String] = []
        for start in stride(from: 0, to: max(got.count, want.count), by: 4) {
            func row(_ bytes: [UInt8]) -> String {
                (start..<start + 4).map { $0 < bytes.count ? String(bytes[$0], radix: 16).leftPadded : "--" }.joined(separator: " ")
            }
            let mark = row(got) == row(want) ? "  " : "!="
            lines.append("\(start): \(row(got)) \(mark) \(row(want))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate var leftPadded: String { count < 2 ? "0" + self : self }
}
