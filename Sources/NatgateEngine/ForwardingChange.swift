import NatgateSysctl

/// What a change did to one forwarding sysctl, as a report lists it: the key, its value before and
/// after, and whether natgate now holds a record of the value to put back.
///
/// ```json
/// { "key": "net.ipv4.ip_forward", "action": "set", "before": "0", "after": "1", "recorded": true }
/// ```
public struct ForwardingChange: Hashable, Sendable, Codable, CustomStringConvertible {
    /// What natgate did to the sysctl.
    public enum Action: String, Hashable, Sendable, Codable {
        /// natgate turned forwarding on and recorded the value it found.
        case set
        /// natgate put back the value it had recorded, and forgot the record.
        case restored
        /// The value was no longer what natgate wrote: someone changed it since, so natgate left it
        /// as it is and forgot the record.
        case leftAlone
    }

    /// The sysctl, such as `net.ipv4.ip_forward`.
    public var key: String
    /// What natgate did to it.
    public var action: Action
    /// Its value before the change, as `/proc/sys` holds it (`"0"`).
    public var before: String
    /// Its value after the change (`"1"`).
    public var after: String
    /// Whether natgate holds a record of the value to put back when the family's last gateway goes.
    public var recorded: Bool

    /// A change of sysctl `key` from `before` to `after`.
    public init(key: String, action: Action, before: String, after: String, recorded: Bool) {
        self.key = key
        self.action = action
        self.before = before
        self.after = after
        self.recorded = recorded
    }

    /// The change a forwarding call made; nil when it wrote nothing and forgot nothing.
    public init?(_ outcome: ForwardingOutcome) {
        switch outcome {
        case .changed(let key, let previous, let written):
            self.init(key: key.description, action: .set, before: previous, after: written, recorded: true)
        case .restored(let key, let written, let previous):
            self.init(key: key.description, action: .restored, before: written, after: previous, recorded: false)
        case .leftAlone(let key, let current, _):
            self.init(key: key.description, action: .leftAlone, before: current, after: current, recorded: false)
        case .alreadySet, .nothingRecorded:
            return nil
        }
    }

    /// Whether the value changed.
    public var changedValue: Bool { before != after }

    /// The sentence `natgate enable` prints after `forwarding: `.
    public var description: String {
        switch action {
        case .set: "\(key): \(before) → \(after) (recorded, restored when the last gateway goes)"
        case .restored: "\(key) restored to \(after)"
        case .leftAlone: "\(key) is \(after), not the value natgate wrote: someone changed it since, left alone"
        }
    }
}
