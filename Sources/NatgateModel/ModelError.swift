/// A position in iptables-save text: 1-based line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    public var line: Int
    /// The column, from 1, in characters.
    public var column: Int
    /// The position at `line` and `column`.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// The one public error of the model module.
///
/// Every case says what was wrong with which input and what to do instead, so that its
/// `description` can be shown to a person as it is.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of input was refused.
    ///
    /// A struct, not an enum, so that a later natgate can add kinds without breaking code that
    /// switches over them: compare with `==`, or `switch` with `case .invalidAddress:` and a `default:`.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The kind's name, as its static property spells it (`invalidAddress`).
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// Text that is not an IPv4 or IPv6 address.
        public static let invalidAddress = Kind(rawValue: "invalidAddress")
        /// Text that is not a network (`ADDRESS/LENGTH` or a mask), or one with host bits set.
        public static let invalidNetwork = Kind(rawValue: "invalidNetwork")
        /// An interface name natgate refuses: empty, longer than 15 bytes, invisible characters, white
    /// space, `/`, `:` or quotes, or a `+` before the end.
        public static let invalidInterface = Kind(rawValue: "invalidInterface")
        /// A chain name that is empty, longer than `ChainName.maximumLength`, has spaces, quotes or
    /// non-ASCII characters, or starts with `-` or `!`.
        public static let invalidChainName = Kind(rawValue: "invalidChainName")
        /// A table name that is not `filter`, `nat`, `mangle`, `raw` or `security`.
        public static let invalidTable = Kind(rawValue: "invalidTable")
        /// A value out of range or of the wrong shape for its option (a port, a mark, a count).
        public static let invalidValue = Kind(rawValue: "invalidValue")
        /// An option no loaded extension accepts.
        public static let unknownOption = Kind(rawValue: "unknownOption")
        /// An option given without the words it needs.
        public static let missingArgument = Kind(rawValue: "missingArgument")
        /// Text that is not iptables-save syntax: an unterminated quote, `!` twice, a stray word.
        public static let syntax = Kind(rawValue: "syntax")
        /// A rule its table or chain cannot hold, such as MASQUERADE outside nat's POSTROUTING.
        public static let notAllowed = Kind(rawValue: "notAllowed")
    }

    /// What kind of error this is.
    public var kind: Kind
    /// The text that was refused, exactly as given.
    public var input: String
    /// What is wrong and what to do, in one or two sentences.
    public var message: String
    /// Where in a file the input stood, when it came from one.
    public var location: SourceLocation?

    /// An error of `kind` about `input`, saying `message`, at `location` in a file when known.
    public init(_ kind: Kind, input: String, _ message: String, at location: SourceLocation? = nil) {
        self.kind = kind
        self.input = input
        self.message = message
        self.location = location
    }

    /// This error, placed at `location` unless it already has a place.
    public func located(at location: SourceLocation) -> ModelError {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}

extension ModelError {
    /// The longest prefix of refused input, in characters, that a message quotes.
    package static let quotedLimit = 64

    /// `text` in single quotes, for a message: control and other invisible characters escaped
    /// (`\u{0}`, `\n`), so that input cannot reach a terminal raw, and text longer than
    /// `quotedLimit` characters cut to its beginning followed by `…` and its whole length, so that
    /// a huge input is not echoed whole: `'aaaa…' (52428800 bytes)`.
    /// `mark` is the quotation mark: `"` for JSON strings, or "" for text the message quotes otherwise.
    package static func quote<S: StringProtocol>(_ text: S, mark: String = "'") -> String {
        var result = mark
        var count = 0
        for character in text {
            if count == quotedLimit {
                return result + "…\(mark) (\(text.utf8.count) bytes)"
            }
            count += 1
            for scalar in character.unicodeScalars {
                if scalar.isInvisible {
                    result += scalar.escaped(asASCII: true)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + mark
    }
}

extension Unicode.Scalar {
    /// Whether the scalar prints nothing visible by itself: a control character (NUL, escape,
    /// newline, the C1 range), a format character (such as a zero-width joiner or a direction
    /// override), a line or paragraph separator, or a private-use or unassigned code point.
    var isInvisible: Bool {
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: true
        default: false
        }
    }
}
