import NatgateModel

/// A sysctl key natgate reads or writes: IP forwarding, globally or per interface.
///
/// natgate refuses every other key, so that a typo cannot write somewhere unexpected. Both
/// spellings parse: `net.ipv4.ip_forward` and `net/ipv4/ip_forward`.
///
/// | key                                 | /proc/sys path                          |
/// |-------------------------------------|-----------------------------------------|
/// | `net.ipv4.ip_forward`               | `net/ipv4/ip_forward`                   |
/// | `net.ipv4.conf.IFACE.forwarding`    | `net/ipv4/conf/IFACE/forwarding`        |
/// | `net.ipv6.conf.all.forwarding`      | `net/ipv6/conf/all/forwarding`          |
/// | `net.ipv6.conf.IFACE.forwarding`    | `net/ipv6/conf/IFACE/forwarding`        |
///
/// IFACE is an interface name, or `all` / `default`.
public struct SysctlKey: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The family whose forwarding the key controls.
    public let family: Family
    /// nil for `net.ipv4.ip_forward`; else the `conf` directory: an interface, `all` or `default`.
    public let interface: String?

    /// `net.ipv4.ip_forward`: IPv4 forwarding for the whole namespace.
    public static let ipv4Forward = SysctlKey(family: .ipv4, interface: nil)
    /// `net.ipv6.conf.all.forwarding`: IPv6 forwarding for the whole namespace.
    public static let ipv6Forward = SysctlKey(family: .ipv6, interface: "all")

    /// The namespace-wide forwarding switch of `family`.
    public static func forwarding(_ family: Family) -> SysctlKey { family == .ipv4 ? ipv4Forward : ipv6Forward }

    /// The forwarding switch of one interface (`net.ipv4.conf.eth0.forwarding`).
    ///
    /// - Throws: `SysctlError` (`.unknownKey`) for a wildcard (`veth+`): sysctls name one interface.
    public static func forwarding(_ family: Family, interface: InterfaceName) throws -> SysctlKey {
        guard !interface.isWildcard else {
            throw SysctlError(
                .unknownKey, input: interface.rawValue,
                "'\(interface)' is a wildcard; a sysctl names one interface. Give the interface's full name.")
        }
        return SysctlKey(family: family, interface: interface.rawValue)
    }

    private init(family: Family, interface: String?) {
        self.family = family
        self.interface = interface
    }

    /// Parses a key in dotted or slashed form.
    ///
    /// - Throws: `SysctlError` (`.unknownKey`) for any key that is not a forwarding switch.
    public init(_ text: String) throws {
        let slashed = text.hasPrefix("net/")
        let separator: Character = slashed ? "/" : "."
        let sep = String(separator)
        if text == ["net", "ipv4", "ip_forward"].joined(separator: sep) {
            self = .ipv4Forward
            return
        }
        for (family, name) in [(Family.ipv4, "ipv4"), (.ipv6, "ipv6")] {
            let prefix = ["net", name, "conf", ""].joined(separator: sep)
            let suffix = sep + "forwarding"
            guard text.hasPrefix(prefix), text.hasSuffix(suffix), text.count > prefix.count + suffix.count else { continue }
            let middle = String(text.dropFirst(prefix.count).dropLast(suffix.count))
            if middle == "all" || middle == "default" {
                self.init(family: family, interface: middle)
                return
            }
            // Interface names may hold dots (eth0.100) in the dotted form, never slashes.
            guard !(slashed && middle.contains("/")), let interface = try? InterfaceName(middle), !interface.isWildcard else { break }
            self.init(family: family, interface: interface.rawValue)
            return
        }
        throw SysctlError(
            .unknownKey, input: text,
            "natgate does not handle sysctl \(ModelError.quote(text)): it reads and writes only net.ipv4.ip_forward, net.ipv6.conf.all.forwarding and net.ipv{4,6}.conf.IFACE.forwarding.")
    }

    /// The dotted form, as `sysctl` prints it.
    public var description: String {
        if let interface { return "net.\(family == .ipv4 ? "ipv4" : "ipv6").conf.\(interface).forwarding" }
        return "net.ipv4.ip_forward"
    }

    /// The path under /proc/sys, without the leading slash: `net/ipv4/ip_forward`.
    public var relativePath: String {
        if let interface { return "net/\(family == .ipv4 ? "ipv4" : "ipv6")/conf/\(interface)/forwarding" }
        return "net/ipv4/ip_forward"
    }

    public static func < (lhs: SysctlKey, rhs: SysctlKey) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws { try self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
