/// Which address (or port, or interface) of a packet a set's dimension looks at: `src` or `dst`.
public enum SetDirection: String, Hashable, Sendable {
    /// The packet's source.
    case source = "src"
    /// The packet's destination.
    case destination = "dst"
}

/// A condition on a set element's packet or byte counter (`--packets-eq 5`, `! --bytes-eq 7`,
/// `--packets-lt 5`, `--bytes-gt 9`). Only equality can be negated, as in libxt_set.
public enum SetCounterCondition: Hashable, Sendable {
    /// `--packets-eq N` / `--bytes-eq N`.
    case equal(UInt64)
    /// `! --packets-eq N` / `! --bytes-eq N`.
    case notEqual(UInt64)
    /// `--packets-lt N` / `--bytes-lt N`.
    case less(UInt64)
    /// `--packets-gt N` / `--bytes-gt N`.
    case greater(UInt64)

    /// `IPSET_COUNTER_EQ` … `IPSET_COUNTER_GT`, the operator the kernel stores.
    public var kernelOperator: UInt8 {
        switch self {
        case .equal: 1
        case .notEqual: 2
        case .less: 3
        case .greater: 4
        }
    }

    /// The number compared with.
    public var value: UInt64 {
        switch self {
        case .equal(let value), .notEqual(let value), .less(let value), .greater(let value): value
        }
    }

    /// The condition the kernel operator `op` (1–4) stands for, nil for any other.
    public init?(kernelOperator op: UInt8, value: UInt64) {
        switch op {
        case 1: self = .equal(value)
        case 2: self = .notEqual(value)
        case 3: self = .less(value)
        case 4: self = .greater(value)
        default: return nil
        }
    }
}

/// `-m set [!] --match-set NAME DIRECTIONS [--return-nomatch] [! --update-counters]
/// [! --update-subcounters] [[!] --packets-eq N | --packets-lt N | --packets-gt N]
/// [[!] --bytes-eq N | --bytes-lt N | --bytes-gt N]`: matches packets whose addresses (and
/// interfaces, ports…) are members of a kernel ip set.
///
/// The set is named here; the kernel stores its index in the namespace's list of sets, which the
/// kernel codec resolves when it writes and reads the rule. The set must exist when the rule is
/// written, and the kernel refuses to destroy a set a rule uses.
///
/// Kernel: `xt_set_info_match_v4`, revision 4 (what iptables-legacy 1.8.9 writes on this kernel).
public struct SetMatch: MatchExtension {
    public static let name = "set"
    public static let options = [
        ExtensionOption("--match-set", "--set", arguments: 2, negatable: true),
        ExtensionOption("--return-nomatch", arguments: 0),
        ExtensionOption("--update-counters", arguments: 0, negatable: true),
        ExtensionOption("--update-subcounters", arguments: 0, negatable: true),
        ExtensionOption("--packets-eq", negatable: true),
        ExtensionOption("--packets-lt"),
        ExtensionOption("--packets-gt"),
        ExtensionOption("--bytes-eq", negatable: true),
        ExtensionOption("--bytes-lt"),
        ExtensionOption("--bytes-gt"),
    ]

    /// The longest set name the kernel keeps (`IPSET_MAXNAMELEN` 32, the NUL included).
    public static let maximumSetNameLength = 31
    /// The most dimensions a set has (`IPSET_DIM_MAX`).
    public static let maximumDimensions = 6

    /// The set's name (1–31 bytes).
    public var setName: String
    /// Which of the packet's source or destination each of the set's dimensions looks at, in order.
    public var directions: [SetDirection]
    /// `! --match-set`: the packet matches when it is NOT in the set.
    public var negated: Bool
    /// `--return-nomatch`: an element added with `nomatch` makes the match succeed.
    public var returnNomatch: Bool
    /// False for `! --update-counters`: matching leaves the element's counters alone.
    public var updateCounters: Bool
    /// False for `! --update-subcounters`: matching leaves a list:set member's counters alone.
    public var updateSubcounters: Bool
    /// A condition on the element's packet counter; nil for none.
    public var packets: SetCounterCondition?
    /// A condition on the element's byte counter; nil for none.
    public var bytes: SetCounterCondition?

    public init() {
        self.init(setName: "", directions: [])
    }

    /// A set match of `setName` looked up by `directions`, with the options given.
    public init(
        setName: String, directions: [SetDirection], negated: Bool = false, returnNomatch: Bool = false,
        updateCounters: Bool = true, updateSubcounters: Bool = true,
        packets: SetCounterCondition? = nil, bytes: SetCounterCondition? = nil
    ) {
        self.setName = setName
        self.directions = directions
        self.negated = negated
        self.returnNomatch = returnNomatch
        self.updateCounters = updateCounters
        self.updateSubcounters = updateSubcounters
        self.packets = packets
        self.bytes = bytes
    }

    /// Checks a set name as iptables does: 1–31 bytes; and, since natgate prints it unquoted,
    /// no white space, quotes or control characters.
    public static func checkSetName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= maximumSetNameLength else {
            throw ModelError(.invalidValue, input: name, "\(ModelError.quote(name)) is not an ip set name: a set name has 1 to \(maximumSetNameLength) bytes.")
        }
        guard !name.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "'" || $0 == "\\" }) else {
            throw ModelError(.invalidValue, input: name, "\(ModelError.quote(name)) is not an ip set name natgate writes: use letters, digits and punctuation other than quotes and backslashes, without spaces.")
        }
    }

    /// Parses `src,dst,…` as libxt_set's `parse_dirs` does.
    public static func parseDirections(_ text: String) throws -> [SetDirection] {
        let words = text.split(separator: ",", omittingEmptySubsequences: false)
        guard words.count <= maximumDimensions else {
            throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)): a set match has at most \(maximumDimensions) directions.")
        }
        return try words.map { word in
            guard let direction = SetDirection(rawValue: String(word)) else {
                throw ModelError(.invalidValue, input: text, "\(ModelError.quote(text)): each direction is src or dst, separated by commas (such as src,dst).")
            }
            return direction
        }
    }

    // Whether --match-set was given; the match needs it.
    private var hasSet: Bool { !setName.isEmpty }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        func counter(_ current: SetCounterCondition?, _ what: String) throws -> UInt64 {
            guard current == nil else { throw option.invalid("set takes only one of --\(what)-eq, --\(what)-lt and --\(what)-gt.") }
            guard let value = XtablesNumber.unsigned(option.argument, in: 0...UInt64.max) else {
                throw option.invalid("write a counter value, a whole number from 0 to \(UInt64.max).")
            }
            return value
        }
        switch option.name {
        case "--match-set", "--set":
            guard !hasSet else { throw option.invalid("set takes --match-set only once; use a second -m set for a second set.") }
            let name = option.arguments.first ?? "", dirs = option.arguments.count > 1 ? option.arguments[1] : ""
            do {
                try Self.checkSetName(name)
                directions = try Self.parseDirections(dirs)
            } catch let error as ModelError {
                throw option.invalid(error.message)
            }
            setName = name
            negated = option.negated
        case "--return-nomatch":
            try option.refuseNegation(Self.name)
            returnNomatch = true
        case "--update-counters":
            if option.negated { updateCounters = false }
        case "--update-subcounters":
            if option.negated { updateSubcounters = false }
        case "--packets-eq":
            let value = try counter(packets, "packets")
            packets = option.negated ? .notEqual(value) : .equal(value)
        case "--packets-lt":
            try option.refuseNegation(Self.name)
            packets = .less(try counter(packets, "packets"))
        case "--packets-gt":
            try option.refuseNegation(Self.name)
            packets = .greater(try counter(packets, "packets"))
        case "--bytes-eq":
            let value = try counter(bytes, "bytes")
            bytes = option.negated ? .notEqual(value) : .equal(value)
        case "--bytes-lt":
            try option.refuseNegation(Self.name)
            bytes = .less(try counter(bytes, "bytes"))
        case "--bytes-gt":
            try option.refuseNegation(Self.name)
            bytes = .greater(try counter(bytes, "bytes"))
        default:
            throw ModelError(.unknownOption, input: option.name, "set has no option \(option.name); it takes --match-set NAME src|dst[,…] and the counter options.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard hasSet else {
            throw ModelError(.missingArgument, input: "-m set", "set needs --match-set NAME src|dst[,…] (such as --match-set natgate-1-v4 src,dst).")
        }
        try Self.checkSetName(setName)
        guard (1...Self.maximumDimensions).contains(directions.count) else {
            throw ModelError(.invalidValue, input: setName, "set \(setName) needs 1 to \(Self.maximumDimensions) directions (src or dst), not \(directions.count).")
        }
    }

    /// As libxt_set's `set_save_v4` prints it.
    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--match-set", setName, directions.map(\.rawValue).joined(separator: ","), negated: negated)
        if returnNomatch { writer.option("--return-nomatch") }
        if !updateCounters { writer.option("--update-counters", negated: true) }
        if !updateSubcounters { writer.option("--update-subcounters", negated: true) }
        for (condition, what) in [(packets, "packets"), (bytes, "bytes")] {
            switch condition {
            case .equal(let value)?: writer.option("--\(what)-eq", String(value))
            case .notEqual(let value)?: writer.option("--\(what)-eq", String(value), negated: true)
            case .less(let value)?: writer.option("--\(what)-lt", String(value))
            case .greater(let value)?: writer.option("--\(what)-gt", String(value))
            case nil: break
            }
        }
    }
}
