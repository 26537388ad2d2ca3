/// Route types of an address, as `-m addrtype` names them (`LOCAL`, `UNICAST`, …): the kernel's
/// `1 << RTN_*` bit mask.
public struct AddressTypes: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `UNSPEC`: an address of no type.
    public static let unspec = AddressTypes(rawValue: 1 << 0)
    /// `UNICAST`: an ordinary unicast address.
    public static let unicast = AddressTypes(rawValue: 1 << 1)
    /// An address of this host.
    public static let local = AddressTypes(rawValue: 1 << 2)
    /// `BROADCAST`: a broadcast address.
    public static let broadcast = AddressTypes(rawValue: 1 << 3)
    /// `ANYCAST`: an anycast address.
    public static let anycast = AddressTypes(rawValue: 1 << 4)
    /// `MULTICAST`: a multicast address.
    public static let multicast = AddressTypes(rawValue: 1 << 5)
    /// `BLACKHOLE`: an address routed to a blackhole.
    public static let blackhole = AddressTypes(rawValue: 1 << 6)
    /// `UNREACHABLE`: an address routed as unreachable.
    public static let unreachable = AddressTypes(rawValue: 1 << 7)
    /// `PROHIBIT`: an address routed as prohibited.
    public static let prohibit = AddressTypes(rawValue: 1 << 8)
    /// `THROW`: an address whose route throws to the next table.
    public static let `throw` = AddressTypes(rawValue: 1 << 9)
    /// `NAT`: an address of a NAT route (obsolete kernels).
    public static let nat = AddressTypes(rawValue: 1 << 10)
    /// `XRESOLVE`: an address resolved externally.
    public static let xresolve = AddressTypes(rawValue: 1 << 11)

    /// The types the kernel refuses in IPv6 rules.
    public static let notInIPv6: AddressTypes = [.broadcast, .blackhole, .prohibit, .throw, .nat, .xresolve]

    /// iptables' `rtn_names`, in bit order: parse order (abbreviations take the first) and print order.
    static let names: [(String, AddressTypes)] = [
        ("UNSPEC", .unspec), ("UNICAST", .unicast), ("LOCAL", .local), ("BROADCAST", .broadcast), ("ANYCAST", .anycast),
        ("MULTICAST", .multicast), ("BLACKHOLE", .blackhole), ("UNREACHABLE", .unreachable), ("PROHIBIT", .prohibit),
        ("THROW", .throw), ("NAT", .nat), ("XRESOLVE", .xresolve),
    ]

    /// `UNICAST,LOCAL`, in iptables' order.
    public var description: String { MatchValueSyntax.names(of: self, in: AddressTypes.names) }
}

/// `-m addrtype`: the route type of the source and/or destination address, such as
/// `--dst-type LOCAL` for packets to this host.
///
/// Kernel: `xt_addrtype_info_v1`, revision 1. iptables-save prints `! --src-type`, `! --dst-type`,
/// then `--limit-iface-in` or `--limit-iface-out`, types in bit order.
public struct AddrtypeMatch: MatchExtension {
    public static let name = "addrtype"
    public static let options = [
        ExtensionOption("--src-type", negatable: true),
        ExtensionOption("--dst-type", negatable: true),
        ExtensionOption("--limit-iface-in", arguments: 0),
        ExtensionOption("--limit-iface-out", arguments: 0),
    ]

    /// `--src-type`: the source address's types (any of them).
    public var sourceTypes: Negatable<AddressTypes>?
    /// `--dst-type`: the destination address's types (any of them).
    public var destinationTypes: Negatable<AddressTypes>?
    /// `--limit-iface-in`: look the address up on the incoming interface only.
    public var limitToInInterface: Bool
    /// `--limit-iface-out`: look the address up on the outgoing interface only.
    public var limitToOutInterface: Bool

    public init() { self.init(sourceTypes: nil) }

    /// A match of the source and destination address types given (nil: not tested).
    public init(sourceTypes: Negatable<AddressTypes>? = nil, destinationTypes: Negatable<AddressTypes>? = nil,
                limitToInInterface: Bool = false, limitToOutInterface: Bool = false) {
        self.sourceTypes = sourceTypes
        self.destinationTypes = destinationTypes
        self.limitToInInterface = limitToInInterface
        self.limitToOutInterface = limitToOutInterface
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        switch option.name {
        case "--src-type":
            try MatchValueSyntax.once(sourceTypes, option)
            sourceTypes = Negatable(try MatchValueSyntax.nameList(option, names: AddressTypes.names, what: "address type"), negated: option.negated)
        case "--dst-type":
            try MatchValueSyntax.once(destinationTypes, option)
            destinationTypes = Negatable(try MatchValueSyntax.nameList(option, names: AddressTypes.names, what: "address type"), negated: option.negated)
        case "--limit-iface-in", "--limit-iface-out":
            guard !option.negated else { throw option.invalid("\(option.name) cannot be negated.") }
            if option.name == "--limit-iface-in" { limitToInInterface = true } else { limitToOutInterface = true }
        default:
            throw ModelError(.unknownOption, input: option.name, "addrtype has no option \(option.name).", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard sourceTypes != nil || destinationTypes != nil else {
            throw ModelError(.missingArgument, input: "-m addrtype", "-m addrtype needs --src-type or --dst-type, such as --dst-type LOCAL.")
        }
        guard !(limitToInInterface && limitToOutInterface) else {
            throw ModelError(.notAllowed, input: "--limit-iface-in --limit-iface-out", "addrtype takes --limit-iface-in or --limit-iface-out, not both.")
        }
        if limitToInInterface, let chain = context.chain, chain == .output || chain == .postrouting {
            throw ModelError(.notAllowed, input: "--limit-iface-in", "--limit-iface-in has no incoming interface to use in \(chain); the kernel refuses it there.")
        }
        if limitToOutInterface, let chain = context.chain, chain == .prerouting || chain == .input {
            throw ModelError(.notAllowed, input: "--limit-iface-out", "--limit-iface-out has no outgoing interface to use in \(chain); the kernel refuses it there.")
        }
        if context.family == .ipv6 {
            let all = (sourceTypes?.value ?? []).union(destinationTypes?.value ?? [])
            let refused = all.intersection(.notInIPv6)
            guard refused.isEmpty else {
                throw ModelError(.notAllowed, input: refused.description, "the kernel does not match address type \(refused) in IPv6 rules; use UNSPEC, UNICAST, LOCAL, ANYCAST, MULTICAST or UNREACHABLE.")
            }
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let sourceTypes, !sourceTypes.value.isEmpty { writer.option("--src-type", sourceTypes.value.description, negated: sourceTypes.negated) }
        if let destinationTypes, !destinationTypes.value.isEmpty { writer.option("--dst-type", destinationTypes.value.description, negated: destinationTypes.negated) }
        if limitToInInterface { writer.word("--limit-iface-in") }
        if limitToOutInterface { writer.word("--limit-iface-out") }
    }
}
