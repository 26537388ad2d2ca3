import Foundation
import NatgateModel

/// A JSON policy file: the whole set of gateways a host should have, as `natgate apply` takes it.
///
/// Schema (version 1). Unknown keys are an error naming the key, so a typo is never ignored:
///
/// ```json
/// {
///   "version": 1,
///   "gateways": [
///     {
///       "subnet": "10.200.1.0/24",        // required: IPv4 or IPv6 network, no host bits
///       "uplink": "eth0",                 // required: outside interface (≤ 15 bytes, `+` wildcard)
///       "via": "v-eth1",                  // optional: namespace-side interface, matched too
///       "inbound": "established",         // optional: "established" (default) or "all"
///       "exclude": ["10.0.0.0/8"],        // optional: destinations not to NAT, same family
///       "snatTo": "203.0.113.7",          // optional: SNAT to this address instead of MASQUERADE
///       "ports": "1024-65535",            // optional: NAT source ports (TCP and UDP)
///       "randomFully": true               // optional: --random-fully, default false
///     }
///   ]
/// }
/// ```
/// (JSON has no comments; they are here for the reader.)
///
/// `decode(_:name:)` is the one way to read a policy file: natgate's strict reader (`PolicyReader`
/// over `JSONDocument`). `PolicyFile` is `Encodable` for `encoded()` and `natgate export`, not
/// `Decodable`, so no second reader with other rules and other messages exists.
public struct PolicyFile: Hashable, Sendable, Encodable {
    /// The schema version this natgate reads and writes.
    public static let currentVersion = 1

    /// The schema version the file was written for; `currentVersion`.
    public var version: Int
    /// The gateways, as the file lists them.
    public var gateways: [Gateway]

    /// A policy of `gateways`, at the current schema version.
    public init(gateways: [Gateway]) {
        self.version = PolicyFile.currentVersion
        self.gateways = gateways
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, gateways
    }

    /// Reads a policy file's bytes.
    ///
    /// The bytes must be strict JSON (RFC 8259, UTF-8): no comments, no trailing commas, and no key
    /// given twice in one object. `"version"` is required and must be the number
    /// `PolicyFile.currentVersion`; any JSON spelling of that number is accepted (`1`, `1.0`,
    /// `1e0`), a fraction or another number is refused. A key whose value is `null` counts as
    /// absent, except `"version"`. Unknown keys are refused by name.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - name: the file's name, used in error messages.
    /// - Throws: `PolicyError` (`.invalidPolicyFile`) naming the file, the key path and what to fix;
    ///   for text that is not JSON, also the line and column (`p.json:3:17: not valid JSON …`).
    public static func decode(_ data: Data, name: String = "policy") throws -> PolicyFile {
        let document: JSONDocument
        do {
            document = try data.withUnsafeBytes { try JSONDocument(parsing: $0) }
        } catch let error as JSONReadError {
            throw PolicyError(reading: name, error)
        }
        do {
            var reader = PolicyReader(document: document)
            return try reader.policyFile()
        } catch {
            throw PolicyError(error.kind, input: error.input, "\(name): \(error.message)")
        }
    }

    /// The gateways, checked against each other.
    public func gatewaySet() throws -> GatewaySet { try GatewaySet(gateways) }

    /// The file's JSON: sorted keys, pretty-printed, ending in a newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
