/// A port or an inclusive range of ports.
///
/// Match extensions write ranges with a colon (`--dport 1000:2000`), NAT targets with a dash
/// (`--to-ports 1000-2000`); both parse with `init(_:separator:)` and print with `text(separator:)`.
public struct PortRange: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first port of the range.
    public var lower: UInt16
    /// The last port of the range, included; `lower` for a single port.
    public var upper: UInt16

    /// The single port `port`.
    public init(_ port: UInt16) {
        lower = port
        upper = port
    }

    /// The ports from `lower` to `upper`, both included.
    ///
    /// - Throws: `ModelError` (`.invalidValue`) when `upper` is below `lower`.
    public init(lower: UInt16, upper: UInt16) throws {
        guard lower <= upper else {
            throw ModelError(.invalidValue, input: "\(lower)-\(upper)", "Port range \(lower)-\(upper) is backwards: write the lower port first.")
        }
        self.lower = lower
        self.upper = upper
    }

    /// Parses `PORT` or `LOW<separator>HIGH`, ports as numbers from 0 to 65535.
    public init(_ text: String, separator: Character) throws {
        let parts = text.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
        func port(_ part: Substring) throws -> UInt16 {
            guard let value = UInt16(part), part.allSatisfy(\.isASCII) else {
                throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)) is not a port or port range: write a number from 0 to 65535, or LOW\(separator)HIGH.")
            }
            return value
        }
        if parts.count == 1 {
            self.init(try port(parts[0]))
        } else {
            try self.init(lower: try port(parts[0]), upper: try port(parts[1]))
        }
    }

    /// Whether the range is one port.
    public var isSinglePort: Bool { lower == upper }

    /// `80`, or `1000<separator>2000`.
    public func text(separator: Character) -> String {
        isSinglePort ? "\(lower)" : "\(lower)\(separator)\(upper)"
    }

    public var description: String { text(separator: "-") }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self), separator: "-")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
