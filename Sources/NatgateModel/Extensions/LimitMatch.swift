/// `-m limit [--limit RATE] [--limit-burst N]`: matches at most RATE packets on average, with
/// bursts of up to N, using a token bucket. Neither option can be negated.
///
/// iptables keeps the rate as the time between packets in ten-thousandths of a second
/// (`XT_LIMIT_SCALE`), so `60/minute` and `1/second` are the same rule and both print as `1/sec`;
/// this model keeps that period too, so equal rules compare equal.
///
/// Kernel: `xt_rateinfo`, revision 0; only `avg` and `burst` come from userspace.
public struct LimitMatch: MatchExtension {
    public static let name = "limit"
    public static let options = [
        ExtensionOption("--limit"),
        ExtensionOption("--limit-burst"),
    ]

    /// The burst iptables uses when `--limit-burst` is not given; not printed.
    public static let defaultBurst: UInt32 = 5
    /// The largest burst iptables accepts.
    public static let maximumBurst: UInt32 = 10_000

    /// An average rate: a number of packets per second, minute, hour or day.
    public struct Rate: Hashable, Sendable, CustomStringConvertible {
        /// The units iptables accepts after `/`, any non-empty prefix of the name, in any case.
        public enum Unit: UInt32, Hashable, Sendable, CaseIterable {
            /// Per second.
            case second = 1
            /// Per minute.
            case minute = 60
            /// Per hour.
            case hour = 3600
            /// Per day.
            case day = 86400

            /// The word `parse_rate` compares prefixes against.
            var word: String {
                switch self {
                case .second: "second"
                case .minute: "minute"
                case .hour: "hour"
                case .day: "day"
                }
            }
        }

        /// Ticks per second (`XT_LIMIT_SCALE`).
        public static let scale: UInt32 = 10_000

        /// The average time between matching packets in 1/10000 s: `xt_rateinfo.avg`.
        public var period: UInt32

        /// A rate from the kernel's period.
        public init(period: UInt32) { self.period = period }

        /// `count` packets per `unit`, rounded as iptables rounds it (the period is
        /// `10000 × seconds-per-unit / count`, an integer division).
        public init(_ count: UInt32, per unit: Unit) throws {
            guard count > 0 else {
                throw ModelError(.invalidValue, input: "0", "limit: a rate of 0 packets is not allowed; write at least 1/\(unit.word).")
            }
            let period = UInt64(Rate.scale) * UInt64(unit.rawValue) / UInt64(count)
            guard period > 0 else {
                throw ModelError(
                    .invalidValue, input: "\(count)/\(unit.word)",
                    "limit: rate \(count)/\(unit.word) is too fast; the fastest rate iptables can express is 10000/second.")
            }
            self.period = UInt32(period)
        }

        /// Parses `N` (per second) or `N/UNIT` as `parse_rate` in libxt_limit does: N is read like
        /// C's `atoi` (leading digits), UNIT is any prefix of second, minute, hour or day.
        public init(parsing text: String) throws {
            let bad = ModelError(
                .invalidValue, input: text,
                "limit: \(ModelError.quote(text)) is not a rate: write a number of packets per second, minute, hour or day, such as 5/min.")
            var unit = Unit.second
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 {
                let word = parts[1].lowercased()
                guard !word.isEmpty, let found = Unit.allCases.first(where: { $0.word.hasPrefix(word) }) else { throw bad }
                unit = found
            }
            // atoi: leading blanks, an optional sign, then digits; anything after them is ignored.
            var number = parts[0].drop { $0 == " " || $0 == "\t" || $0 == "\n" }
            var negative = false
            if let sign = number.first, sign == "+" || sign == "-" {
                negative = sign == "-"
                number = number.dropFirst()
            }
            let digits = number.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let count = UInt64(digits), count > 0 else { throw bad }
            guard !negative, count <= UInt64(UInt32.max) else {
                throw ModelError(.invalidValue, input: text, "limit: rate \(ModelError.quote(text)) is too fast; the fastest rate iptables can express is 10000/second.")
            }
            try self.init(UInt32(count), per: unit)
        }

        /// The rate as iptables prints it (`print_rate`): the largest unit that still gives an
        /// exact enough whole number, such as `5/min` or `3/hour`; `inf` for a period of 0.
        public var description: String {
            guard period > 0 else { return "inf" }
            let units: [(UInt32, String)] = [
                (Rate.scale * 86400, "day"), (Rate.scale * 3600, "hour"), (Rate.scale * 60, "min"), (Rate.scale, "sec"),
            ]
            var index = 1
            while index < units.count {
                let multiple = units[index].0
                if period > multiple || multiple / period < multiple % period { break }
                index += 1
            }
            let (multiple, name) = units[index - 1]
            return "\(multiple / period)/\(name)"
        }
    }

    /// The average rate; iptables' default is 3/hour.
    public var rate: Rate
    /// How many packets may match in a burst before the rate applies; iptables' default is 5.
    public var burst: UInt32

    public init() {
        rate = Rate(period: Rate.scale * 3600 / 3)
        burst = LimitMatch.defaultBurst
    }

    /// `--limit rate --limit-burst burst`.
    public init(rate: Rate, burst: UInt32 = LimitMatch.defaultBurst) {
        self.rate = rate
        self.burst = burst
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation("limit")
        switch option.name {
        case "--limit":
            do { rate = try Rate(parsing: option.argument) } catch let error as ModelError {
                throw ModelError(error.kind, input: option.argument, "--limit \(option.argument): \(error.message)", at: option.location)
            }
        case "--limit-burst":
            burst = UInt32(try option.unsignedArgument(in: 0...UInt64(LimitMatch.maximumBurst)))
        default:
            throw ModelError(.unknownOption, input: option.name, "limit has no option \(option.name); it takes --limit and --limit-burst.", at: option.location)
        }
    }

    /// Refuses what the kernel's `limit_mt_check` refuses with ERANGE: a burst of 0, and a rate
    /// and burst whose product (`avg × burst`) overflows 32 bits.
    public func validate(context: ExtensionContext) throws {
        if burst == 0 {
            throw ModelError(.invalidValue, input: "--limit-burst 0", "limit: --limit-burst 0 is refused by the kernel; use at least 1.")
        }
        let product = rate.period &* burst
        if product < rate.period {
            throw ModelError(
                .invalidValue, input: "--limit \(rate) --limit-burst \(burst)",
                "limit: --limit \(rate) with --limit-burst \(burst) overflows the kernel's token bucket; use a faster rate or a smaller burst.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--limit", rate.description)
        if burst != LimitMatch.defaultBurst { writer.option("--limit-burst", String(burst)) }
    }
}
