import Foundation

/// `-m statistic --mode random [!] --probability P` or
/// `-m statistic --mode nth [!] --every N [--packet P]`: matches a random share of packets, or
/// every Nth packet starting at counter value P.
///
/// iptables keeps the probability as a 31-bit fraction (`lround(P × 2³¹)`) and prints it back
/// with 11 decimals, so `0.1` prints as `0.10000000009`; this model keeps that fraction.
///
/// Kernel: `xt_statistic_info`, revision 0; the nth counter (`u.nth.count`) and the `master`
/// pointer after it are the kernel's.
public struct StatisticMatch: MatchExtension {
    public static let name = "statistic"
    public static let options = [
        ExtensionOption("--mode"),
        ExtensionOption("--probability", negatable: true),
        ExtensionOption("--every", negatable: true),
        ExtensionOption("--packet"),
    ]

    /// Which packets match.
    public enum Mode: Hashable, Sendable {
        /// Each packet matches with probability `probability / 2³¹`.
        case random(probability: UInt32)
        /// Every `every`th packet matches (1 or more), counting from `packet` (0 to every − 1).
        case nth(every: UInt32, packet: UInt32)
    }

    /// 2³¹: the probability 1.
    public static let probabilityScale: Double = 2_147_483_648

    /// Which packets match: at random, or every nth.
    public var mode: Mode
    /// `!` before `--probability` or `--every`: match the other packets.
    public var inverted: Bool

    public init() { self.init(mode: .random(probability: 0)) }

    /// A statistic match in `mode`, inverted or not.
    public init(mode: Mode, inverted: Bool = false) {
        self.mode = mode
        self.inverted = inverted
    }

    /// `--mode random --probability P`, P from 0 to 1 rounded as iptables rounds it.
    public static func random(_ probability: Double, inverted: Bool = false) throws -> StatisticMatch {
        StatisticMatch(mode: .random(probability: try fraction(probability, text: "\(probability)")), inverted: inverted)
    }

    /// The kernel's fraction for a probability: `lround(0x80000000 × P)`.
    static func fraction(_ probability: Double, text: String) throws -> UInt32 {
        guard probability >= 0, probability <= 1 else {
            throw ModelError(.invalidValue, input: text, "--probability \(text): write a probability from 0 to 1, such as 0.25.")
        }
        return UInt32((probabilityScale * probability).rounded(.toNearestOrAwayFromZero))
    }

    /// The probability as a number from 0 to 1, in random mode.
    public var probability: Double? {
        if case .random(let fraction) = mode { return Double(fraction) / StatisticMatch.probabilityScale }
        return nil
    }

    /// What `parse` has seen, so that `validate` can say what is missing; not part of the value.
    private struct Parsed: Hashable, Sendable {
        var mode: String?
        var probability: UInt32?
        var every: UInt32?
        var packet: UInt32?
    }
    private var parsed = Parsed()

    public static func == (lhs: StatisticMatch, rhs: StatisticMatch) -> Bool { lhs.mode == rhs.mode && lhs.inverted == rhs.inverted }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(mode)
        hasher.combine(inverted)
    }

    /// Applies one option. As in iptables the options may come in any order; `validate` then
    /// checks that the mode has the options it needs.
    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        func once<T>(_ value: T?) throws {
            if value != nil { throw option.invalid("statistic takes \(option.name) only once.") }
        }
        switch option.name {
        case "--mode":
            try option.refuseNegation("statistic")
            try once(parsed.mode)
            guard option.argument == "random" || option.argument == "nth" else {
                throw option.invalid("statistic has the modes random and nth (lower case).")
            }
            parsed.mode = option.argument
        case "--probability":
            try once(parsed.probability)
            let text = option.argument
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), !value.isNaN, value >= 0, value <= 1 else {
                throw option.invalid("write a probability from 0 to 1, such as 0.25.")
            }
            parsed.probability = try StatisticMatch.fraction(value, text: text)
            if option.negated { inverted = true }
        case "--every":
            try once(parsed.every)
            parsed.every = UInt32(try option.unsignedArgument(in: 1...UInt64(UInt32.max)))
            if option.negated { inverted = true }
        case "--packet":
            try option.refuseNegation("statistic")
            try once(parsed.packet)
            parsed.packet = UInt32(try option.unsignedArgument(in: 0...UInt64(UInt32.max)))
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "statistic has no option \(option.name); it takes --mode, --probability, --every and --packet.", at: option.location)
        }
        switch parsed.mode {
        case "random": mode = .random(probability: parsed.probability ?? 0)
        case "nth": mode = .nth(every: parsed.every ?? 1, packet: parsed.packet ?? 0)
        default: break
        }
    }

    /// Checks what iptables' `statistic_check` checks: a mode, the option that mode needs, no
    /// option of the other mode, and `--packet` below `--every`.
    ///
    /// iptables 1.8.9 also refuses `--every` without `--packet`; natgate accepts it with packet 0,
    /// which is what iptables-legacy-save then prints.
    public func validate(context: ExtensionContext) throws {
        if parsed != Parsed() {
            guard let modeName = parsed.mode else {
                throw ModelError(.missingArgument, input: "statistic", "statistic needs --mode random or --mode nth.")
            }
            if modeName == "random" {
                guard parsed.probability != nil else {
                    throw ModelError(.missingArgument, input: "--mode random", "statistic --mode random needs --probability P.")
                }
                if parsed.every != nil || parsed.packet != nil {
                    throw ModelError(.notAllowed, input: "--mode random", "statistic --mode random takes no --every or --packet; those belong to --mode nth.")
                }
            } else {
                guard parsed.every != nil else {
                    throw ModelError(.missingArgument, input: "--mode nth", "statistic --mode nth needs --every N (and --packet P).")
                }
                if parsed.probability != nil {
                    throw ModelError(.notAllowed, input: "--mode nth", "statistic --mode nth takes no --probability; that belongs to --mode random.")
                }
            }
        }
        if case .nth(let every, let packet) = mode {
            guard every >= 1 else { throw ModelError(.invalidValue, input: "--every 0", "statistic: --every must be 1 or more.") }
            guard packet < every else {
                throw ModelError(
                    .invalidValue, input: "--packet \(packet)",
                    "statistic: --packet \(packet) must be less than --every \(every) (0 <= packet <= every-1).")
            }
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        switch mode {
        case .random(let fraction):
            writer.option("--mode", "random")
            writer.option(
                "--probability", String(format: "%.11f", Double(fraction) / StatisticMatch.probabilityScale), negated: inverted)
        case .nth(let every, let packet):
            writer.option("--mode", "nth")
            writer.option("--every", String(every), negated: inverted)
            writer.option("--packet", String(packet))
        }
    }
}
