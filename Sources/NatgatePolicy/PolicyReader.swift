import NatgateModel

/// Reads a policy file: maps a parsed JSON text (`JSONDocument`) to a `PolicyFile`, checking keys,
/// types and values. It is the only reader of policy files (`PolicyFile.decode(_:name:)` uses it;
/// `PolicyFile` is `Encodable` only).
///
/// For each object it first refuses unknown keys (the alphabetically first one is named), then
/// reads each field in turn. Errors carry the key path (`gateways[3].subnet`) but not the file name,
/// which `decode` adds.
struct PolicyReader {
    let document: JSONDocument
    /// The last uplink read, with its text: policy files tend to give every gateway the same one,
    /// and checking a name is the costliest part of reading a gateway.
    private var lastUplink: (text: String, name: InterfaceName)?

    init(document: JSONDocument) {
        self.document = document
    }

    mutating func policyFile() throws(PolicyError) -> PolicyFile {
        let root = document.root
        guard document.kind(root) == .object else {
            throw wrongType(root, at: "the top level", expected: "an object")
        }
        var versionNode: Int?
        var gatewaysNode: Int?
        var unknown: String?
        for (key, value) in document.members(root) {
            switch key {
            case PolicyFile.CodingKeys.version.rawValue: versionNode = value
            case PolicyFile.CodingKeys.gateways.rawValue: gatewaysNode = value
            default: unknown = min(unknown ?? key, key)
            }
        }
        if let unknown {
            throw unknownKey(unknown, at: unknown, allowed: PolicyFile.CodingKeys.allCases.map(\.rawValue))
        }
        guard let versionNode else {
            throw PolicyError(
                .invalidPolicyFile, input: "version",
                "The policy file has no \"version\": add \"version\": \(PolicyFile.currentVersion) at the top level.")
        }
        let version = try self.version(versionNode)
        guard version == PolicyFile.currentVersion else {
            throw PolicyError(
                .invalidPolicyFile, input: "version",
                "The policy file has \"version\": \(version), but this natgate reads version \(PolicyFile.currentVersion). Write the file for version \(PolicyFile.currentVersion) or use a natgate that reads version \(version).")
        }
        var file = PolicyFile(gateways: [])
        guard let gatewaysNode, document.kind(gatewaysNode) != .null else { return file }
        guard document.kind(gatewaysNode) == .array else {
            throw wrongType(gatewaysNode, at: "gateways", expected: "an array")
        }
        let elements = document.elements(gatewaysNode)
        file.gateways.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            file.gateways.append(try gateway(element, at: "gateways[\(index)]"))
        }
        return file
    }

    /// The version number: any JSON number whose value is a whole number (`1`, `1.0`, `1e0`).
    func version(_ node: Int) throws(PolicyError) -> Int {
        guard document.kind(node) == .number else {
            throw wrongType(node, at: "version", expected: "a number")
        }
        let literal = document.text(node)
        switch JSONDocument.integerValue(ofNumber: literal) {
        case .exactly(let value):
            return value
        case .fractional:
            throw PolicyError(
                .invalidPolicyFile, input: literal,
                "version: \(literal) is not a whole number. Write \"version\": \(PolicyFile.currentVersion).")
        case .outOfRange:
            throw PolicyError(
                .invalidPolicyFile, input: literal,
                "version: \(literal) is out of range. Write \"version\": \(PolicyFile.currentVersion).")
        }
    }

    /// The gateway at `node`; `path` is `gateways[N]`, made only for messages.
    mutating func gateway(_ node: Int, at path: @autoclosure () -> String) throws(PolicyError) -> Gateway {
        guard document.kind(node) == .object else {
            throw wrongType(node, at: path(), expected: "an object")
        }
        typealias Key = Gateway.CodingKeys
        var subnetNode, uplinkNode, viaNode, inboundNode, excludeNode, snatToNode, portsNode, randomFullyNode: Int?
        var unknown: String?
        for (key, value) in document.members(node) {
            switch key {
            case Key.subnet.rawValue: subnetNode = value
            case Key.uplink.rawValue: uplinkNode = value
            case Key.via.rawValue: viaNode = value
            case Key.inbound.rawValue: inboundNode = value
            case Key.exclude.rawValue: excludeNode = value
            case Key.snatTo.rawValue: snatToNode = value
            case Key.ports.rawValue: portsNode = value
            case Key.randomFully.rawValue: randomFullyNode = value
            default: unknown = min(unknown ?? key, key)
            }
        }
        if let unknown {
            throw unknownKey(unknown, at: "\(path()).\(unknown)", allowed: Key.allCases.map(\.rawValue))
        }
        guard let subnet = try network(subnetNode, at: "\(path()).subnet") else {
            throw PolicyError(.invalidPolicyFile, input: "subnet", "\(path()) has no \"subnet\": give the namespace subnet, such as \"10.200.1.0/24\".")
        }
        guard let uplink = try uplink(uplinkNode, at: "\(path()).uplink") else {
            throw PolicyError(.invalidPolicyFile, input: "uplink", "\(path()) has no \"uplink\": give the outside interface, such as \"eth0\".")
        }
        var inbound = Gateway.Inbound.established
        if let text = try string(inboundNode, at: "\(path()).inbound") {
            guard let value = PolicyReader.inbound(text) else {
                throw PolicyError(
                    .invalidPolicyFile, input: text,
                    "\(path()).inbound: \(ModelError.quote(text, mark: "\"")) is not an inbound mode: use \"established\" or \"all\".")
            }
            inbound = value
        }
        let via = try interface(viaNode, at: "\(path()).via")
        let exclude = try networks(excludeNode, at: "\(path()).exclude")
        let snatTo = try address(snatToNode, at: "\(path()).snatTo")
        let ports = try portRange(portsNode, at: "\(path()).ports")
        let randomFully = try bool(randomFullyNode, at: "\(path()).randomFully") ?? false
        do {
            return try Gateway(
                subnet: subnet, uplink: uplink, via: via, inbound: inbound, exclude: exclude, snatTo: snatTo,
                ports: ports, randomFully: randomFully)
        } catch let error as PolicyError {
            throw PolicyError(.invalidPolicyFile, input: error.input, "\(path()): \(error.message)")
        } catch {
            throw PolicyError(.invalidPolicyFile, input: path(), "\(path()): \(error)")
        }
    }

    // MARK: Fields

    /// The string at `node`; nil when the key is absent or null (as `decodeIfPresent` reads it).
    func string(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> String? {
        guard let node else { return nil }
        switch document.kind(node) {
        case .string: return document.text(node)
        case .null: return nil
        default: throw wrongType(node, at: path(), expected: "a string")
        }
    }

    func bool(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> Bool? {
        guard let node else { return nil }
        switch document.kind(node) {
        case .true: return true
        case .false: return false
        case .null: return nil
        default: throw wrongType(node, at: path(), expected: "true or false")
        }
    }

    /// A value parsed from the string at `node` by one of the model's initialisers, its
    /// `ModelError` reported at `path`.
    func parsed<T>(_ node: Int?, at path: @autoclosure () -> String, _ parse: (String) throws -> T) throws(PolicyError) -> T? {
        guard let text = try string(node, at: path()) else { return nil }
        do {
            return try parse(text)
        } catch let error as ModelError {
            throw PolicyError(.invalidPolicyFile, input: error.input, "\(path()): \(error.message)")
        } catch {
            throw PolicyError(.invalidPolicyFile, input: text, "\(path()): \(error)")
        }
    }

    func network(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> IPNetwork? {
        try parsed(node, at: path(), PolicyReader.network)
    }

    func address(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> IPAddress? {
        try parsed(node, at: path(), PolicyReader.address)
    }

    func interface(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> InterfaceName? {
        try parsed(node, at: path()) { try InterfaceName($0) }
    }

    /// `interface(_:at:)`, remembering the last name read.
    mutating func uplink(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> InterfaceName? {
        if let node, document.kind(node) == .string, let last = lastUplink, last.text == document.text(node) {
            return last.name
        }
        guard let name = try interface(node, at: path()) else { return nil }
        lastUplink = (name.rawValue, name)
        return name
    }

    func portRange(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> PortRange? {
        try parsed(node, at: path(), PolicyReader.portRange)
    }

    /// The networks of the array at `node`; empty when the key is absent or null.
    func networks(_ node: Int?, at path: @autoclosure () -> String) throws(PolicyError) -> [IPNetwork] {
        guard let node else { return [] }
        switch document.kind(node) {
        case .null: return []
        case .array: break
        default: throw wrongType(node, at: path(), expected: "an array")
        }
        var networks: [IPNetwork] = []
        networks.reserveCapacity(document.elements(node).count)
        for (index, element) in document.elements(node).enumerated() {
            guard document.kind(element) != .null else {
                throw PolicyError(.invalidPolicyFile, input: "\(path())[\(index)]", "\(path())[\(index)] is null: expected a string.")
            }
            // Not nil: the element is neither absent nor null.
            networks.append(try network(element, at: "\(path())[\(index)]")!)
        }
        return networks
    }

    // MARK: Fast paths
    //
    // The model's string initialisers split and re-scan their text, which makes them most of the
    // cost of reading a large file. For the forms natgate itself writes, these build the same value
    // from the model's byte-level address parsers and its masking initialisers; any other text,
    // valid or not, goes to the model's string initialiser, which decides and words the error.
    // (Tests compare both on many spellings: `PolicyReaderFastPathTests`.)

    /// `Gateway.subnet(_:)`.
    static func network(_ text: String) throws -> IPNetwork {
        var text = text
        if let network = text.withUTF8(PolicyReader.ipv4Network) { return .v4(network) }
        let utf8 = text.utf8
        if let slash = utf8.firstIndex(of: UInt8(ascii: "/")), let length = smallDecimal(utf8[utf8.index(after: slash)...]) {
            let address = text[..<slash]
            if utf8.contains(UInt8(ascii: ":")) {
                if length <= 128, length == 0 || utf8[utf8.index(after: slash)] != UInt8(ascii: "0"), let address = IPv6Address(parsing: address) {
                    let network = IPv6Network(masking: address, prefixLength: length)
                    if network.address == address { return .v6(network) }
                }
                return try Gateway.subnet(text)
            }
            return try Gateway.subnet(text)
        }
        return try Gateway.subnet(text)
    }

    /// `Gateway.Inbound(rawValue:)`, without the generic string switch.
    static func inbound(_ text: String) -> Gateway.Inbound? {
        switch text {
        case Gateway.Inbound.established.rawValue: .established
        case Gateway.Inbound.all.rawValue: .all
        default: Gateway.Inbound(rawValue: text)
        }
    }

    /// `A.B.C.D/LENGTH` without host bits, the form of nearly every subnet, read in one pass with
    /// `IPv4Address(parsing:)`'s rules (one to three digits a part, each at most 255) and
    /// `Gateway.subnet(_:)`'s (no leading zeros); nil for any other text.
    static func ipv4Network(_ bytes: UnsafeBufferPointer<UInt8>) -> IPv4Network? {
        var address: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var dots = 0
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "/") {
            if bytes[index] == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                address = address << 8 | part
                dots += 1
                part = 0
                digits = 0
            } else {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10, digits == 0 || part != 0 else { return nil }
                part = part * 10 + UInt32(digit)
                digits += 1
                guard digits <= 3, part <= 255 else { return nil }
            }
            index += 1
        }
        guard index < bytes.count, digits > 0, dots == 3 else { return nil }
        address = address << 8 | part
        var length = 0
        let lengthDigits = bytes.count - index - 1
        guard lengthDigits == 1 || lengthDigits == 2 && bytes[index + 1] != UInt8(ascii: "0") else { return nil }
        for byte in bytes[(index + 1)...] {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            length = length * 10 + Int(digit)
        }
        guard length <= 32 else { return nil }
        let network = IPv4Network(masking: IPv4Address(rawValue: address), prefixLength: length)
        return network.address.rawValue == address ? network : nil
    }

    /// `Gateway.address(_:)`.
    static func address(_ text: String) throws -> IPAddress {
        if text.utf8.contains(UInt8(ascii: ":")) {
            if let address = IPv6Address(parsing: Substring(text)) { return .v6(address) }
        } else if Gateway.leadingZeroNumber(Substring(text)) == nil, let address = IPv4Address(parsing: Substring(text)) {
            return .v4(address)
        }
        return try Gateway.address(text)
    }

    /// `PortRange(_:separator: "-")`.
    static func portRange(_ text: String) throws -> PortRange {
        let utf8 = text.utf8
        if let dash = utf8.firstIndex(of: UInt8(ascii: "-")) {
            if let lower = port(utf8[..<dash]), let upper = port(utf8[utf8.index(after: dash)...]) {
                return try PortRange(lower: lower, upper: upper)
            }
        } else if let port = port(utf8[...]) {
            return PortRange(port)
        }
        return try PortRange(text, separator: "-")
    }

    /// One to five ASCII digits of value at most 65535, as `UInt16(_:)` reads them.
    static func port(_ digits: Substring.UTF8View) -> UInt16? {
        guard digits.count <= 5, let value = decimal(digits), value <= Int(UInt16.max) else { return nil }
        return UInt16(value)
    }

    /// One to three ASCII digits, as `Int(_:)` reads them: a prefix length.
    static func smallDecimal(_ digits: Substring.UTF8View) -> Int? {
        digits.count <= 3 ? decimal(digits) : nil
    }

    /// A non-empty run of ASCII digits (at most 18, so it cannot overflow).
    static func decimal(_ digits: Substring.UTF8View) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    // MARK: Errors

    func wrongType(_ node: Int, at path: String, expected: String) -> PolicyError {
        if document.kind(node) == .null {
            return PolicyError(.invalidPolicyFile, input: path, "\(path) is null: expected \(expected).")
        }
        return PolicyError(.invalidPolicyFile, input: path, "\(path) has the wrong type: expected \(expected), found \(describe(node)).")
    }

    func describe(_ node: Int) -> String {
        switch document.kind(node) {
        case .object: "an object"
        case .array: "an array"
        case .string: "the string \(ModelError.quote(document.text(node), mark: "\""))"
        case .number: "the number \(document.text(node))"
        case .true: "true"
        case .false: "false"
        case .null: "null"
        }
    }

    func unknownKey(_ key: String, at path: String, allowed: [String]) -> PolicyError {
        PolicyError(
            .invalidPolicyFile, input: key,
            "Unknown key \(ModelError.quote(key, mark: "\"")) at \(ModelError.quote(path, mark: "")): the keys allowed here are \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")). Check its spelling.")
    }
}

extension PolicyError {
    /// The error for a policy file that is not JSON, or repeats a key in an object.
    init(reading name: String, _ error: JSONReadError) {
        let path = JSONPathComponent.text(error.path)
        let place = "\(name):\(error.line):\(error.column)"
        switch error.reason {
        case .syntax(let problem, let advice):
            let inside = error.path.isEmpty ? "" : " in \(path)"
            self.init(.invalidPolicyFile, input: name, "\(place): not valid JSON\(inside): \(problem). \(advice)")
        case .duplicateKey(let key):
            let inside = error.path.isEmpty ? "at the top level" : "in \(path)"
            self.init(
                .invalidPolicyFile, input: key,
                "\(place): key \(ModelError.quote(key, mark: "\"")) is given twice \(inside): each key may appear once in an object. Remove one of them.")
        }
    }
}
