/// `-j CONNMARK`: set the connection's mark (ctmark), or copy it to or from the packet's mark.
/// Any table and chain.
///
/// The fields are the kernel's, applied in the order the options come, as iptables applies them.
/// iptables-save prints by mode:
/// - set: `--set-xmark 0xCTMARK/0xCTMASK` (from `--set-xmark`, `--set-mark`, `--and-mark`,
///   `--or-mark`, `--xor-mark`, which canonicalise as for MARK);
/// - save / restore: `--save-mark --nfmask 0xN --ctmask 0xC` (`--mask M` sets both);
/// then `--left-shift-mark N` or `--right-shift-mark N` when N is not 0.
///
/// Kernel, revision 2: `xt_connmark_tginfo2 { u32 ctmark, ctmask, nfmask; u8 shift_dir, shift_bits, mode; }`.
public struct ConnmarkTarget: TargetExtension {
    public static let name = "CONNMARK"
    public static let options = [
        ExtensionOption("--set-xmark"), ExtensionOption("--set-mark"), ExtensionOption("--and-mark"),
        ExtensionOption("--or-mark"), ExtensionOption("--xor-mark"),
        ExtensionOption("--save-mark", arguments: 0), ExtensionOption("--restore-mark", arguments: 0),
        ExtensionOption("--left-shift-mark"), ExtensionOption("--right-shift-mark"),
        ExtensionOption("--ctmask"), ExtensionOption("--nfmask"), ExtensionOption("--mask"),
    ]

    /// What the target does; raw values are the kernel's `XT_CONNMARK_*`.
    public enum Mode: UInt8, Hashable, Sendable {
        /// ctmark = (ctmark & ~ctmask) ^ ctmark-value.
        case set = 0
        /// Copy the packet mark into the connection mark, through the masks.
        case save = 1
        /// Copy the connection mark into the packet mark, through the masks.
        case restore = 2
    }

    /// Which way `shiftBits` shifts the copied mark; raw values are the kernel's.
    public enum ShiftDirection: UInt8, Hashable, Sendable {
        /// Shift to the left.
        case left = 0
        /// Shift to the right.
        case right = 1
    }

    /// The operation; required.
    public var mode: Mode?
    /// The connection-mark value (`set`).
    public var ctmark: UInt32
    /// The mask of connection-mark bits the operation changes or copies (`--ctmask`).
    public var ctmask: UInt32
    /// The mask of packet-mark bits copied (`--nfmask`).
    public var nfmask: UInt32
    /// Which way `shiftBits` shifts.
    public var shiftDirection: ShiftDirection
    /// 0 to 32.
    public var shiftBits: UInt8

    public init() {
        self.init(mode: nil)
    }

    /// Defaults are iptables': both masks 0xffffffff, no shift.
    public init(
        mode: Mode?, ctmark: UInt32 = 0, ctmask: UInt32 = .max, nfmask: UInt32 = .max,
        shiftDirection: ShiftDirection = .left, shiftBits: UInt8 = 0
    ) {
        self.mode = mode
        self.ctmark = ctmark
        self.ctmask = ctmask
        self.nfmask = nfmask
        self.shiftDirection = shiftDirection
        self.shiftBits = shiftBits
    }

    /// `--set-xmark VALUE/MASK` (use `MarkTarget.XMark`'s builders for the other forms).
    public static func set(_ xmark: MarkTarget.XMark) -> ConnmarkTarget {
        ConnmarkTarget(mode: .set, ctmark: xmark.value, ctmask: xmark.mask)
    }

    /// `--save-mark` with iptables' default masks.
    public static let saveMark = ConnmarkTarget(mode: .save)
    /// `--restore-mark` with iptables' default masks.
    public static let restoreMark = ConnmarkTarget(mode: .restore)

    private static let operations: Set<String> = ["--set-xmark", "--set-mark", "--and-mark", "--or-mark", "--xor-mark", "--save-mark", "--restore-mark"]

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        if ConnmarkTarget.operations.contains(option.name), mode != nil {
            throw ModelError(
                .notAllowed, input: option.name,
                "CONNMARK: \(option.name) cannot be used together with another operation (--set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark, --save-mark, --restore-mark): keep one.",
                at: option.location)
        }
        func setting(_ xmark: MarkTarget.XMark) {
            mode = .set
            ctmark = xmark.value
            ctmask = xmark.mask
        }
        switch option.name {
        case "--set-xmark":
            let (value, mask) = try MarkTarget.valueAndMask(option)
            setting(MarkTarget.XMark(value: value, mask: mask))
        case "--set-mark":
            let (value, mask) = try MarkTarget.valueAndMask(option)
            setting(.set(value, mask: mask))
        case "--and-mark": setting(.and(try MarkTarget.bits(option)))
        case "--or-mark": setting(.or(try MarkTarget.bits(option)))
        case "--xor-mark": setting(.xor(try MarkTarget.bits(option)))
        case "--save-mark": mode = .save
        case "--restore-mark": mode = .restore
        case "--left-shift-mark", "--right-shift-mark":
            shiftDirection = option.name == "--left-shift-mark" ? .left : .right
            shiftBits = UInt8(try option.unsignedArgument(in: 0...32))
        case "--ctmask": ctmask = try MarkTarget.bits(option)
        case "--nfmask": nfmask = try MarkTarget.bits(option)
        case "--mask":
            let mask = try MarkTarget.bits(option)
            ctmask = mask
            nfmask = mask
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "CONNMARK has no option \(option.name): it takes --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark, --save-mark, --restore-mark, --ctmask, --nfmask, --mask, --left-shift-mark and --right-shift-mark.",
                at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        if mode == nil {
            throw ModelError(
                .missingArgument, input: "CONNMARK",
                "CONNMARK needs an operation: --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark, --save-mark or --restore-mark.")
        }
        if shiftBits > 32 {
            throw ModelError(.invalidValue, input: "\(shiftBits)", "CONNMARK shift of \(shiftBits) bits: write 0 to 32.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        switch mode {
        case .set: writer.option("--set-xmark", MarkTarget.XMark(value: ctmark, mask: ctmask).description)
        case .save:
            writer.word("--save-mark")
            writer.option("--nfmask", "0x" + String(nfmask, radix: 16))
            writer.option("--ctmask", "0x" + String(ctmask, radix: 16))
        case .restore:
            writer.word("--restore-mark")
            writer.option("--nfmask", "0x" + String(nfmask, radix: 16))
            writer.option("--ctmask", "0x" + String(ctmask, radix: 16))
        case nil: return
        }
        if shiftBits != 0 {
            writer.option(shiftDirection == .left ? "--left-shift-mark" : "--right-shift-mark", "\(shiftBits)")
        }
    }
}
