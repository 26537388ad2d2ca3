/// `-j CHECKSUM --checksum-fill`: compute the checksum of a packet that lacks one (for guests that
/// offload it, such as old DHCP clients). mangle table only (the kernel refuses it elsewhere).
///
/// Kernel, revision 0: `xt_CHECKSUM_info { u8 operation; }`, `XT_CHECKSUM_OP_FILL` = 1.
public struct ChecksumTarget: TargetExtension {
    public static let name = "CHECKSUM"
    public static let options = [ExtensionOption("--checksum-fill", arguments: 0)]
    public static let allowedTables: Set<TableName>? = [.mangle]

    /// Fill in the checksum; iptables requires it.
    public var fill: Bool

    public init() { fill = false }

    /// `--checksum-fill` when `fill`.
    public init(fill: Bool) { self.fill = fill }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        guard option.name == "--checksum-fill" else {
            throw ModelError(.unknownOption, input: option.name, "CHECKSUM has no option \(option.name): it takes --checksum-fill.", at: option.location)
        }
        fill = true
    }

    public func validate(context: ExtensionContext) throws {
        if !fill {
            throw ModelError(.missingArgument, input: "CHECKSUM", "CHECKSUM needs --checksum-fill.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if fill { writer.word("--checksum-fill") }
    }
}
