/// `-m recent`: keeps lists of recently seen addresses and matches against them, for example to
/// rate-limit new SSH connections per source.
///
/// Options: one of `[!] --set`, `[!] --rcheck`, `[!] --update`, `[!] --remove`; with `--rcheck` or
/// `--update` also `--seconds N`, `--reap` (needs `--seconds`), `--hitcount N`, `--rttl`; and
/// `--name LIST` (default `DEFAULT`), `--rsource` (default) or `--rdest`, `--mask ADDRESS` (default
/// all ones). iptables-save prints the name, the mask and the side always, and so does natgate.
///
/// Kernel: `xt_recent_mtinfo_v1`, revision 1 (both families).
public struct RecentMatch: MatchExtension {
    public static let name = "recent"
    public static let options = [
        ExtensionOption("--set", arguments: 0, negatable: true),
        ExtensionOption("--rcheck", arguments: 0, negatable: true),
        ExtensionOption("--update", arguments: 0, negatable: true),
        ExtensionOption("--remove", arguments: 0, negatable: true),
        ExtensionOption("--seconds"),
        ExtensionOption("--reap", arguments: 0),
        ExtensionOption("--hitcount"),
        ExtensionOption("--rttl", arguments: 0),
        ExtensionOption("--name"),
        ExtensionOption("--rsource", arguments: 0),
        ExtensionOption("--rdest", arguments: 0),
        ExtensionOption("--mask"),
    ]

    /// The list a rule uses when it names none.
    public static let defaultListName = "DEFAULT"
    /// The longest list name the kernel keeps (`XT_RECENT_NAME_LEN` less the NUL).
    public static let maximumNameLength = 199
    /// The largest `--hitcount` the kernel accepts (it keeps at most 65535 time stamps per address).
    public static let maximumHitCount: UInt32 = 65535

    /// What the rule does with the list.
    public enum Command: String, Hashable, Sendable, CaseIterable {
        /// `--set`: adds the address (or refreshes it); always matches.
        case set = "--set"
        /// `--rcheck`: matches when the address is in the list.
        case check = "--rcheck"
        /// `--update`: like `--rcheck`, and refreshes the address's time stamp.
        case update = "--update"
        /// `--remove`: matches when the address is in the list, and removes it.
        case remove = "--remove"
    }

    /// Which address of the packet goes into the list.
    public enum Side: Hashable, Sendable {
        /// `--rsource`, the default.
        case source
        /// `--rdest`.
        case destination
    }

    /// What the match does with the list.
    public var command: Command
    /// `!` before the command.
    public var inverted: Bool
    /// `--seconds N`: only addresses seen within the last N seconds match; nil for no limit.
    public var seconds: UInt32?
    /// `--reap`: drop entries older than `seconds` from the list.
    public var reap: Bool
    /// `--hitcount N`: only addresses seen at least N times match; nil for no limit.
    public var hitCount: UInt32?
    /// `--rttl`: the packet's TTL must also equal the one recorded.
    public var matchTTL: Bool
    /// `--name`: the list (a file under /proc/net/xt_recent/).
    public var listName: String
    /// `--mask`: applied to addresses before they are listed; nil for all ones, the default.
    public var mask: IPAddress?
    /// Which address of the packet is listed and looked up.
    public var side: Side
    /// Whether the rule text wrote `--mask` (iptables-save always does). It changes only bytes the
    /// kernel ignores: for IPv4 iptables fills the unused 12 bytes of the mask field with 0xFF when
    /// `--mask` is absent and with 0 when present. Not part of equality.
    public var maskWritten: Bool

    /// An empty match for `parse` to fill; `validate` refuses it until a command is parsed.
    public init() {
        self.init(command: .set)
        hasCommand = false
    }

    /// A recent match of the settings given.
    public init(
        command: Command, inverted: Bool = false, seconds: UInt32? = nil, reap: Bool = false, hitCount: UInt32? = nil,
        matchTTL: Bool = false, listName: String = RecentMatch.defaultListName, mask: IPAddress? = nil, side: Side = .source,
        maskWritten: Bool = false
    ) {
        self.command = command
        self.inverted = inverted
        self.seconds = seconds
        self.reap = reap
        self.hitCount = hitCount
        self.matchTTL = matchTTL
        self.listName = listName
        self.mask = mask
        self.side = side
        self.maskWritten = maskWritten
        hasCommand = true
    }

    // Whether a command was given (by parse or the memberwise initialiser).
    private var hasCommand = false

    public static func == (lhs: RecentMatch, rhs: RecentMatch) -> Bool {
        lhs.command == rhs.command && lhs.inverted == rhs.inverted && lhs.seconds == rhs.seconds && lhs.reap == rhs.reap
            && lhs.hitCount == rhs.hitCount && lhs.matchTTL == rhs.matchTTL && lhs.listName == rhs.listName
            && lhs.mask == rhs.mask && lhs.side == rhs.side
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(command)
        hasher.combine(inverted)
        hasher.combine(seconds)
        hasher.combine(reap)
        hasher.combine(hitCount)
        hasher.combine(matchTTL)
        hasher.combine(listName)
        hasher.combine(mask)
        hasher.combine(side)
    }

    /// The mask with every bit set, for `family`.
    public static func fullMask(_ family: Family) -> IPAddress {
        family == .ipv4 ? .v4(IPv4Address(rawValue: .max)) : .v6(IPv6Address(high: .max, low: .max))
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        if let command = Command(rawValue: option.name) {
            if hasCommand {
                throw ModelError(.notAllowed, input: option.name, "recent takes one of --set, --rcheck, --update and --remove, not two.", at: option.location)
            }
            self.command = command
            hasCommand = true
            if option.negated { inverted = true }
            return
        }
        if option.negated { try option.refuseNegation("recent") }
        switch option.name {
        case "--seconds":
            // iptables-save prints seconds above 2^31 - 1 as negative numbers (%d); read those back too.
            if option.argument.hasPrefix("-"), let negative = Int32(option.argument), negative < 0 {
                seconds = UInt32(bitPattern: negative)
            } else {
                seconds = UInt32(try option.unsignedArgument(in: 1...UInt64(UInt32.max)))
            }
        case "--reap": reap = true
        case "--hitcount":
            let value = UInt32(try option.unsignedArgument(in: 0...UInt64(UInt32.max)))
            hitCount = value == 0 ? nil : value
        case "--rttl": matchTTL = true
        case "--name":
            let name = option.argument
            guard !name.isEmpty, name != ".", name != "..", name.utf8.count <= RecentMatch.maximumNameLength,
                !name.contains(where: { $0 == "/" || $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "\\" || $0.asciiValue.map { $0 < 0x20 } == true })
            else {
                throw option.invalid(
                    "a list name is 1 to \(RecentMatch.maximumNameLength) bytes without '/', spaces or quotes, and not '.' or '..' (the kernel makes it a file in /proc/net/xt_recent).")
            }
            listName = name
        case "--rsource": side = .source
        case "--rdest": side = .destination
        case "--mask":
            let parsed: IPAddress?
            switch context.family {
            case .ipv4: parsed = IPv4Address(parsing: Substring(option.argument)).map(IPAddress.v4)
            case .ipv6: parsed = IPv6Address(parsing: Substring(option.argument)).map(IPAddress.v6)
            }
            guard let parsed else {
                throw option.invalid("write the mask as an \(context.family == .ipv4 ? "IPv4 address such as 255.255.255.0" : "IPv6 address such as ffff:ffff:ffff:ffff::").")
            }
            mask = parsed == RecentMatch.fullMask(context.family) ? nil : parsed
            maskWritten = true
        default:
            throw ModelError(.unknownOption, input: option.name, "recent has no option \(option.name).", at: option.location)
        }
    }

    /// Checks what iptables and the kernel check: a command; `--reap` only with `--seconds`; no
    /// `--seconds`, `--hitcount`, `--rttl` or `--reap` with `--set` or `--remove`; a hit count the
    /// kernel can keep; a mask of the rule's family.
    public func validate(context: ExtensionContext) throws {
        guard hasCommand else {
            throw ModelError(.missingArgument, input: "-m recent", "recent needs one of --set, --rcheck, --update or --remove.")
        }
        if reap && seconds == nil {
            throw ModelError(.notAllowed, input: "--reap", "recent: --reap needs --seconds.")
        }
        if command == .set || command == .remove, seconds != nil || hitCount != nil || matchTTL || reap {
            throw ModelError(
                .notAllowed, input: command.rawValue,
                "recent \(command.rawValue) takes no --seconds, --hitcount, --rttl or --reap; those refine --rcheck and --update.")
        }
        if let hitCount, hitCount > RecentMatch.maximumHitCount {
            throw ModelError(.invalidValue, input: "--hitcount \(hitCount)", "recent: --hitcount \(hitCount) is above the kernel's maximum of \(RecentMatch.maximumHitCount).")
        }
        if let mask, mask.family != context.family {
            throw ModelError(.invalidValue, input: "--mask \(mask)", "recent: --mask \(mask) is not of the rule's family.")
        }
    }

    /// Prints in `recent_save`'s order; the numbers as C's `%d` prints them.
    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if inverted { writer.word("!") }
        writer.word(command.rawValue)
        if let seconds { writer.option("--seconds", String(Int32(bitPattern: seconds))) }
        if reap { writer.word("--reap") }
        if let hitCount { writer.option("--hitcount", String(Int32(bitPattern: hitCount))) }
        if matchTTL { writer.word("--rttl") }
        writer.option("--name", listName)
        writer.option("--mask", (mask ?? RecentMatch.fullMask(context.family)).description)
        writer.word(side == .source ? "--rsource" : "--rdest")
    }
}
