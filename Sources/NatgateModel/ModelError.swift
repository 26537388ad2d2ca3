/// A position in iptables-save text: 1-based line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
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
    public enum Kind: String, Hashable, Sendable {
        case invalidAddress
        case invalidNetwork
        case invalidInterface
        case invalidChainName
        case invalidTable
        case invalidValue
        case unknownOption
        case missingArgument
        case syntax
        case notAllowed
    }

    public var kind: Kind
    /// The text that was refused, exactly as given.
    public var input: String
    /// What is wrong and what to do, in one or two sentences.
    public var message: String
    /// Where in a file the input stood, when it came from one.
    public var location: SourceLocation?

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
