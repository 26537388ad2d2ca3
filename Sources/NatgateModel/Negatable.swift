/// A value an iptables option can negate with `!`, such as `! -s 10.0.0.0/8`.
public struct Negatable<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The value tested.
    public var value: Value
    /// Whether the test is negated (`! -s 10.0.0.0/8`).
    public var negated: Bool

    /// A test of `value`, negated or not.
    public init(_ value: Value, negated: Bool = false) {
        self.value = value
        self.negated = negated
    }

    /// `! value`.
    public static func not(_ value: Value) -> Negatable { Negatable(value, negated: true) }
}

extension Negatable: CustomStringConvertible where Value: CustomStringConvertible {
    public var description: String { negated ? "! \(value)" : "\(value)" }
}
