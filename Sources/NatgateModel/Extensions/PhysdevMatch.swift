/// `-m physdev`: matches the bridge ports a bridged packet entered or will leave by.
///
/// Options: `[!] --physdev-in NAME[+]`, `[!] --physdev-out NAME[+]`, `[!] --physdev-is-in`,
/// `[!] --physdev-is-out`, `[!] --physdev-is-bridged`. In OUTPUT the kernel refuses
/// `--physdev-out` and `--physdev-is-out` unless the rule also says `--physdev-is-bridged`.
///
/// Kernel: `xt_physdev_info`, revision 0.
public struct PhysdevMatch: MatchExtension {
    public static let name = "physdev"
    public static let options = [
        ExtensionOption("--physdev-in", negatable: true),
        ExtensionOption("--physdev-out", negatable: true),
        ExtensionOption("--physdev-is-in", arguments: 0, negatable: true),
        ExtensionOption("--physdev-is-out", arguments: 0, negatable: true),
        ExtensionOption("--physdev-is-bridged", arguments: 0, negatable: true),
    ]

    /// `[!] --physdev-in`: the bridge port the packet arrived on.
    public var inInterface: Negatable<InterfaceName>?
    /// `[!] --physdev-out`: the bridge port the packet will leave by.
    public var outInterface: Negatable<InterfaceName>?
    /// `--physdev-is-in` (true), `! --physdev-is-in` (false), or not tested (nil).
    public var isIn: Bool?
    /// `--physdev-is-out` (true), `! --physdev-is-out` (false), or not tested (nil).
    public var isOut: Bool?
    /// `--physdev-is-bridged` (true), `! --physdev-is-bridged` (false), or not tested (nil).
    public var isBridged: Bool?

    public init() { self.init(inInterface: nil) }

    /// A physdev match of what is given (nil: not tested).
    public init(
        inInterface: Negatable<InterfaceName>? = nil, outInterface: Negatable<InterfaceName>? = nil,
        isIn: Bool? = nil, isOut: Bool? = nil, isBridged: Bool? = nil
    ) {
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.isIn = isIn
        self.isOut = isOut
        self.isBridged = isBridged
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        func once(_ given: Bool) throws {
            if given { throw option.invalid("physdev takes \(option.name) only once.") }
        }
        func interface() throws -> Negatable<InterfaceName> {
            do { return Negatable(try InterfaceName(option.argument), negated: option.negated) } catch let error as ModelError {
                throw option.invalid(error.message)
            }
        }
        switch option.name {
        case "--physdev-in":
            try once(inInterface != nil)
            inInterface = try interface()
        case "--physdev-out":
            try once(outInterface != nil)
            outInterface = try interface()
        case "--physdev-is-in":
            try once(isIn != nil)
            isIn = !option.negated
        case "--physdev-is-out":
            try once(isOut != nil)
            isOut = !option.negated
        case "--physdev-is-bridged":
            try once(isBridged != nil)
            isBridged = !option.negated
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "physdev has no option \(option.name); it takes --physdev-in, --physdev-out, --physdev-is-in, --physdev-is-out and --physdev-is-bridged.",
                at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard inInterface != nil || outInterface != nil || isIn != nil || isOut != nil || isBridged != nil else {
            throw ModelError(.missingArgument, input: "-m physdev", "physdev needs at least one --physdev-… option.")
        }
        if context.chain == .output, outInterface != nil || isOut != nil, isBridged != true {
            throw ModelError(
                .notAllowed, input: "-m physdev",
                "physdev: the kernel refuses --physdev-out and --physdev-is-out in OUTPUT unless the rule also has --physdev-is-bridged; use FORWARD or POSTROUTING.")
        }
    }

    /// Prints in `physdev_save`'s order: is-in, in, is-out, out, is-bridged.
    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let isIn { writer.option("--physdev-is-in", negated: !isIn) }
        if let inInterface { writer.option("--physdev-in", inInterface.value.rawValue, negated: inInterface.negated) }
        if let isOut { writer.option("--physdev-is-out", negated: !isOut) }
        if let outInterface { writer.option("--physdev-out", outInterface.value.rawValue, negated: outInterface.negated) }
        if let isBridged { writer.option("--physdev-is-bridged", negated: !isBridged) }
    }
}
