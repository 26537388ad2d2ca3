/// `-j LOG [--log-level LEVEL] [--log-prefix PREFIX] [--log-tcp-sequence] [--log-tcp-options]
/// [--log-ip-options] [--log-uid] [--log-macdecode]`: write a kernel log line for each packet and
/// continue with the next rule. Any table and chain.
///
/// iptables-save prints `--log-prefix` (quoted as needed), `--log-level N` as a number and only when
/// it is not 4 (warning), then the flags in the order above.
/// Kernel, revision 0: `xt_log_info`, 32 bytes: level u8, flags u8, prefix char[30].
public struct LogTarget: TargetExtension {
    public static let name = "LOG"
    public static let options = [
        ExtensionOption("--log-level"),
        ExtensionOption("--log-prefix"),
        ExtensionOption("--log-tcp-sequence", arguments: 0),
        ExtensionOption("--log-tcp-options", arguments: 0),
        ExtensionOption("--log-ip-options", arguments: 0),
        ExtensionOption("--log-uid", arguments: 0),
        ExtensionOption("--log-macdecode", arguments: 0),
    ]

    /// The longest prefix the kernel keeps (`char prefix[30]` with its NUL).
    public static let maximumPrefixLength = 29
    /// The level iptables uses when none is given, and does not print: warning.
    public static let defaultLevel: UInt8 = 4

    /// What to log besides the headers; raw values are the kernel's `XT_LOG_*` bits.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// `--log-tcp-sequence`: TCP sequence numbers.
        public static let tcpSequence = Flags(rawValue: 0x01)
        /// `--log-tcp-options`: TCP header options.
        public static let tcpOptions = Flags(rawValue: 0x02)
        /// `--log-ip-options`: IP header options.
        public static let ipOptions = Flags(rawValue: 0x04)
        /// `--log-uid`: the user id of the sending process.
        public static let uid = Flags(rawValue: 0x08)
        /// `--log-macdecode`: the MAC header, decoded.
        public static let macDecode = Flags(rawValue: 0x20)

        /// Each flag with its option, in the order iptables-save prints them.
        public static let options: [(Flags, String)] = [
            (.tcpSequence, "--log-tcp-sequence"), (.tcpOptions, "--log-tcp-options"), (.ipOptions, "--log-ip-options"),
            (.uid, "--log-uid"), (.macDecode, "--log-macdecode"),
        ]
    }

    /// The syslog level names iptables accepts, with their numbers.
    public static let levelNames: [(String, UInt8)] = [
        ("emerg", 0), ("panic", 0), ("alert", 1), ("crit", 2), ("error", 3), ("warning", 4), ("notice", 5), ("info", 6), ("debug", 7),
    ]

    /// The syslog level, 0 (emerg) to 7 (debug).
    public var level: UInt8
    /// Text at the start of each log line, at most 29 bytes; empty for none.
    public var prefix: String
    /// What to log besides the headers.
    public var flags: Flags

    public init() { self.init(level: LogTarget.defaultLevel) }

    /// `-j LOG` at `level`, with `prefix` and `flags`.
    public init(level: UInt8 = LogTarget.defaultLevel, prefix: String = "", flags: Flags = []) {
        self.level = level
        self.prefix = prefix
        self.flags = flags
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--log-level":
            let text = option.argument
            if let number = XtablesNumber.unsigned(text, in: 0...7) {
                level = UInt8(number)
            } else if let named = LogTarget.levelNames.first(where: { $0.0 == text }) {
                level = named.1
            } else {
                throw option.invalid("write a level from 0 to 7 or one of emerg, alert, crit, error, warning, notice, info, debug.")
            }
        case "--log-prefix":
            let text = option.argument
            if let problem = LogTarget.prefixProblem(text) { throw option.invalid(problem) }
            prefix = text
        default:
            guard let flag = Flags.options.first(where: { $0.1 == option.name }) else {
                throw ModelError(
                    .unknownOption, input: option.name,
                    "LOG has no option \(option.name): it takes --log-level, --log-prefix, --log-tcp-sequence, --log-tcp-options, --log-ip-options, --log-uid and --log-macdecode.",
                    at: option.location)
            }
            flags.insert(flag.0)
        }
    }

    static func prefixProblem(_ text: String) -> String? {
        if text.isEmpty { return "the prefix is empty: give at least one character, or leave --log-prefix out." }
        if text.utf8.count > maximumPrefixLength {
            return "the prefix is \(text.utf8.count) bytes long; the kernel keeps at most \(maximumPrefixLength) (iptables would cut it silently). Shorten it."
        }
        if text.contains("\n") { return "the prefix contains a newline, which iptables refuses." }
        if text.utf8.contains(0) { return "the prefix contains a NUL byte, which the kernel cannot store." }
        return nil
    }

    public func validate(context: ExtensionContext) throws {
        guard level <= 7 else {
            throw ModelError(.invalidValue, input: "\(level)", "--log-level \(level): write a level from 0 to 7.")
        }
        if !prefix.isEmpty, let problem = LogTarget.prefixProblem(prefix) {
            throw ModelError(.invalidValue, input: prefix, "--log-prefix \(SaveWriter.quote(prefix)): \(problem)")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if !prefix.isEmpty { writer.option("--log-prefix", quoting: prefix) }
        if level != LogTarget.defaultLevel { writer.option("--log-level", "\(level)") }
        for (flag, option) in Flags.options where flags.contains(flag) { writer.word(option) }
    }
}
