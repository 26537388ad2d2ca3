/// Numbers as libxtables reads them from option arguments.
///
/// `xtables_strtoul` calls `strtoumax` with base 0: `0x1F` is hexadecimal, `017` octal, anything
/// else decimal; leading white space and `+` are skipped, `-` is refused, and the whole argument
/// must be consumed. Extensions then check the value against their own minimum and maximum.
enum XtablesNumber {
    /// Parses `text` as `xtables_strtoul(text, NULL, …, min, max)` does; nil when it would refuse it.
    static func unsigned(_ text: some StringProtocol, in range: ClosedRange<UInt64> = 0...UInt64(UInt32.max)) -> UInt64? {
        guard let (value, rest) = prefix(text), rest.isEmpty, range.contains(value) else { return nil }
        return value
    }

    /// Parses the longest number at the start of `text`, as `strtoumax(text, &end, 0)` does, and
    /// returns it with the text after it; nil when no digit starts the text or the value overflows.
    static func prefix<S: StringProtocol>(_ text: S) -> (value: UInt64, rest: S.SubSequence)? {
        var rest = text[...]
        while let first = rest.first, first == " " || first == "\t" || first == "\n" { rest = rest.dropFirst() }
        if rest.first == "+" { rest = rest.dropFirst() }
        var radix: UInt64 = 10
        let lower = rest.lowercased()
        if lower.hasPrefix("0x"), let digit = rest.dropFirst(2).first, digit.isHexDigit {
            radix = 16
            rest = rest.dropFirst(2)
        } else if rest.first == "0" {
            radix = 8
        }
        var value: UInt64 = 0
        var digits = 0
        while let character = rest.first, let digit = character.hexDigitValue, UInt64(digit) < radix {
            let (product, overflow) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = product.addingReportingOverflow(UInt64(digit))
            guard !overflow, !overflow2 else { return nil }
            value = sum
            digits += 1
            rest = rest.dropFirst()
        }
        guard digits > 0 else { return nil }
        return (value, rest)
    }
}

extension ParsedOption {
    /// The argument as an unsigned number in `range`, read as libxtables reads it (`0x10` is 16);
    /// otherwise an error naming the option, the value and the range.
    func unsignedArgument(in range: ClosedRange<UInt64>) throws -> UInt64 {
        guard let value = XtablesNumber.unsigned(argument, in: range) else {
            throw invalid("write a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    /// Refuses `!` before an option that cannot be negated, as libxtables does.
    func refuseNegation(_ extensionName: String) throws {
        if negated {
            throw ModelError(
                .notAllowed, input: name,
                "\(extensionName): option \(name) cannot be negated with '!'; remove the '!'.", at: location)
        }
    }
}
