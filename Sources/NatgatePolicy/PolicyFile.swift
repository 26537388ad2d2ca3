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
public struct PolicyFile: Hashable, Sendable, Codable {
    /// The schema version this natgate reads and writes.
    public static let currentVersion = 1

    public var version: Int
    public var gateways: [Gateway]

    public init(gateways: [Gateway]) {
        self.version = PolicyFile.currentVersion
        self.gateways = gateways
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, gateways
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.version) else {
            throw PolicyError(
                .invalidPolicyFile, input: "version",
                "The policy file has no \"version\": add \"version\": \(PolicyFile.currentVersion) at the top level.")
        }
        version = try container.decode(Int.self, forKey: .version)
        guard version == PolicyFile.currentVersion else {
            throw PolicyError(
                .invalidPolicyFile, input: "version",
                "The policy file has \"version\": \(version), but this natgate reads version \(PolicyFile.currentVersion). Write the file for version \(PolicyFile.currentVersion) or use a natgate that reads version \(version).")
        }
        gateways = try container.decodeIfPresent([Gateway].self, forKey: .gateways) ?? []
    }

    /// Reads a policy file's bytes.
    ///
    /// The bytes must be strict JSON (RFC 8259, UTF-8): no comments, no trailing commas, and no key
    /// given twice in one object. `"version"` is required and must be the number
    /// `PolicyFile.currentVersion`; any JSON spelling of that number is accepted (`1`, `1.0`,
    /// `1e0`), a fraction or another number is refused. A key whose value is `null` counts as
    /// absent, except `"version"`. Unknown keys are refused by name.
    ///
    /// - Parameter name: the file's name, used in error messages.
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
            var decoder = PolicyDecoder(document: document)
            return try decoder.policyFile()
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

    static func explain(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON\(detail.map { " (\($0))" } ?? ""). Check the brackets, quotes and commas."
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing: every gateway needs \"subnet\" and \"uplink\"."
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type: expected \(typeName(type))."
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null: expected \(typeName(type))."
        @unknown default:
            return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }
}

/// `gateways[1].snatTo`.
func path(_ codingPath: [any CodingKey]) -> String {
    var text = ""
    for key in codingPath {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text.isEmpty ? "the top level" : text
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Throws naming the first key of the object at `decoder` that is not in `allowed`.
func rejectUnknownKeys(_ decoder: any Decoder, allowed: [String]) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    let unknown = container.allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
    if let key = unknown.first {
        let at = path(decoder.codingPath + [AnyKey(stringValue: key)])
        throw PolicyError(
            .invalidPolicyFile, input: key,
            "Unknown key \(ModelError.quote(key, mark: "\"")) at \(ModelError.quote(at, mark: "")): the keys allowed here are \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")). Check its spelling.")
    }
}

extension Gateway: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case subnet, uplink, via, inbound, exclude, snatTo, ports, randomFully
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func field<T: Decodable>(_ key: CodingKeys, _ type: T.Type) throws -> T? {
            do {
                return try container.decodeIfPresent(T.self, forKey: key)
            } catch let error as ModelError {
                throw PolicyError(.invalidPolicyFile, input: error.input, "\(path(decoder.codingPath + [key])): \(error.message)")
            }
        }
        func parsed<T>(_ key: CodingKeys, _ parse: (String) throws -> T) throws -> T? {
            guard let text = try field(key, String.self) else { return nil }
            do { return try parse(text) } catch let error as ModelError {
                throw PolicyError(.invalidPolicyFile, input: error.input, "\(path(decoder.codingPath + [key])): \(error.message)")
            }
        }
        guard let subnet = try parsed(.subnet, Gateway.subnet) else {
            throw PolicyError(.invalidPolicyFile, input: "subnet", "\(path(decoder.codingPath)) has no \"subnet\": give the namespace subnet, such as \"10.200.1.0/24\".")
        }
        guard let uplink = try field(.uplink, InterfaceName.self) else {
            throw PolicyError(.invalidPolicyFile, input: "uplink", "\(path(decoder.codingPath)) has no \"uplink\": give the outside interface, such as \"eth0\".")
        }
        func excluded() throws -> [IPNetwork] {
            try (field(.exclude, [String].self) ?? []).enumerated().map { index, text in
                do { return try Gateway.excludedNetwork(text) } catch let error as ModelError {
                    throw PolicyError(.invalidPolicyFile, input: error.input, "\(path(decoder.codingPath + [CodingKeys.exclude]))[\(index)]: \(error.message)")
                }
            }
        }
        let inboundText = try field(.inbound, String.self)
        var inbound = Inbound.established
        if let inboundText {
            guard let value = Inbound(rawValue: inboundText) else {
                throw PolicyError(
                    .invalidPolicyFile, input: inboundText,
                    "\(path(decoder.codingPath + [CodingKeys.inbound])): \(ModelError.quote(inboundText, mark: "\"")) is not an inbound mode: use \"established\" or \"all\".")
            }
            inbound = value
        }
        do {
            try self.init(
                subnet: subnet, uplink: uplink, via: try field(.via, InterfaceName.self), inbound: inbound,
                exclude: try excluded(), snatTo: try parsed(.snatTo, Gateway.address),
                ports: try field(.ports, PortRange.self), randomFully: try field(.randomFully, Bool.self) ?? false)
        } catch let error as PolicyError where error.kind == .invalidGateway {
            throw PolicyError(.invalidPolicyFile, input: error.input, "\(path(decoder.codingPath)): \(error.message)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subnet, forKey: .subnet)
        try container.encode(uplink, forKey: .uplink)
        try container.encodeIfPresent(via, forKey: .via)
        try container.encode(inbound, forKey: .inbound)
        try container.encode(exclude, forKey: .exclude)
        try container.encodeIfPresent(snatTo, forKey: .snatTo)
        try container.encodeIfPresent(ports, forKey: .ports)
        try container.encode(randomFully, forKey: .randomFully)
    }
}
