import NatgateModel

/// A gateway in JSON, as natgate's outputs write it: the `gateways` of a policy file
/// (`natgate export`, `PolicyFile.encoded()`), of `natgate status --json` and of the change verbs'
/// `--json` reports.
///
/// Decoding is here so that programs can read those outputs back (`JSONDecoder().decode(Status.self,
/// from: …)`). It is not how a policy file is read: `PolicyFile.decode(_:name:)` is, with natgate's
/// strict reader (errors with line and column and the key path, duplicate keys and unknown keys
/// refused). A gateway decoded here is still checked as any other, by the same value parsers
/// (`Gateway.subnet`, `Gateway.excludedNetwork`, `Gateway.address`) and by `Gateway.init`, so every
/// `Gateway` value is valid however it was made; keys this natgate does not know are ignored, so the
/// output of a newer natgate still decodes.
extension Gateway: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case subnet, uplink, via, inbound, exclude, snatTo, ports, randomFully
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            subnet: Gateway.subnet(container.decode(String.self, forKey: .subnet)),
            uplink: container.decode(InterfaceName.self, forKey: .uplink),
            via: container.decodeIfPresent(InterfaceName.self, forKey: .via),
            inbound: container.decodeIfPresent(Inbound.self, forKey: .inbound) ?? .established,
            exclude: (container.decodeIfPresent([String].self, forKey: .exclude) ?? []).map(Gateway.excludedNetwork),
            snatTo: container.decodeIfPresent(String.self, forKey: .snatTo).map(Gateway.address),
            ports: container.decodeIfPresent(PortRange.self, forKey: .ports),
            randomFully: container.decodeIfPresent(Bool.self, forKey: .randomFully) ?? false)
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
