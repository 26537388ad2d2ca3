/// `-j MARK --set-xmark VALUE[/MASK]` (and `--set-mark`, `--and-mark`, `--or-mark`, `--xor-mark`):
/// change the packet's mark (nfmark). Any table and chain.
///
/// The kernel applies one operation, `mark = (mark & ~mask) ^ value`, and iptables-save prints every
/// form as `--set-xmark 0xVALUE/0xMASK`:
/// - `--set-xmark V[/M]` → V/M (M defaults to 0xffffffff)
/// - `--set-mark V[/M]`  → V/(V|M)
/// - `--and-mark B`      → 0/~B
/// - `--or-mark B`       → B/B
/// - `--xor-mark B`      → B/0
///
/// Kernel, revision 2: `xt_mark_tginfo2 { u32 mark, mask; }`.
public struct MarkTarget: TargetExtension {
    public static let name = "MARK"
    public static let options = [
        ExtensionOption("--set-xmark"),
        ExtensionOption("--set-mark"),
        ExtensionOption("--and-mark"),
        ExtensionOption("--or-mark"),
        ExtensionOption("--xor-mark"),
    ]

    /// The operation as the kernel applies it: `mark = (mark & ~mask) ^ value`.
    public struct XMark: Hashable, Sendable, CustomStringConvertible {
        /// The bits XORed in after masking.
        public var value: UInt32
        /// The bits cleared first.
        public var mask: UInt32

        /// The operation `mark = (mark & ~mask) ^ value`.
        public init(value: UInt32, mask: UInt32 = .max) {
            self.value = value
            self.mask = mask
        }

        /// `--set-mark VALUE[/MASK]`: clear the bits in `mask` and set those of `value`.
        public static func set(_ value: UInt32, mask: UInt32 = .max) -> XMark { XMark(value: value, mask: value | mask) }
        /// `--and-mark BITS`.
        public static func and(_ bits: UInt32) -> XMark { XMark(value: 0, mask: ~bits) }
        /// `--or-mark BITS`.
        public static func or(_ bits: UInt32) -> XMark { XMark(value: bits, mask: bits) }
        /// `--xor-mark BITS`.
        public static func xor(_ bits: UInt32) -> XMark { XMark(value: bits, mask: 0) }

        /// `0xVALUE/0xMASK`, as iptables-save prints it.
        public var description: String { "0x\(String(value, radix: 16))/0x\(String(mask, radix: 16))" }
    }

    /// The operation; required.
    public var xmark: XMark?

    public init() { xmark = nil }

    /// A MARK target applying `xmark`.
    public init(_ xmark: XMark) { self.xmark = xmark }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        guard xmark == nil else {
            throw ModelError(
                .notAllowed, input: option.name,
                "MARK: \(option.name) cannot be used together with another --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark: keep one.",
                at: option.location)
        }
        switch option.name {
        case "--set-xmark":
            let (value, mask) = try MarkTarget.valueAndMask(option)
            xmark = XMark(value: value, mask: mask)
        case "--set-mark":
            let (value, mask) = try MarkTarget.valueAndMask(option)
            xmark = .set(value, mask: mask)
        case "--and-mark": xmark = .and(try MarkTarget.bits(option))
        case "--or-mark": xmark = .or(try MarkTarget.bits(option))
        case "--xor-mark": xmark = .xor(try MarkTarget.bits(option))
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "MARK has no option \(option.name): it takes --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark.", at: option.location)
        }
    }

    /// `VALUE[/MASK]` as libxtables' `XTTYPE_MARKMASK32` reads it: C numbers, the mask 0xffffffff when absent.
    static func valueAndMask(_ option: ParsedOption) throws -> (UInt32, UInt32) {
        let parts = option.argument.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let value = XtablesNumber.unsigned(parts[0], in: 0...UInt64(UInt32.max)),
            let mask = parts.count == 2 ? XtablesNumber.unsigned(parts[1], in: 0...UInt64(UInt32.max)) : UInt64(UInt32.max)
        else {
            throw option.invalid("write VALUE or VALUE/MASK, numbers from 0 to 0xffffffff, such as 0x10/0xff.")
        }
        return (UInt32(value), UInt32(mask))
    }

    /// A 32-bit value as libxtables' `XTTYPE_UINT32` reads it.
    static func bits(_ option: ParsedOption) throws -> UInt32 {
        UInt32(try option.unsignedArgument(in: 0...UInt64(UInt32.max)))
    }

    public func validate(context: ExtensionContext) throws {
        if xmark == nil {
            throw ModelError(.missingArgument, input: "MARK", "MARK needs one of --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let xmark { writer.option("--set-xmark", xmark.description) }
    }
}
