import Foundation

/// `-m owner [!] --socket-exists [!] --uid-owner ID[-ID] [!] --gid-owner ID[-ID] [--suppl-groups]`:
/// matches locally generated packets by the socket's owner. The kernel allows it in OUTPUT and
/// POSTROUTING only.
///
/// User and group names are resolved through `/etc/passwd` and `/etc/group` when parsed, as
/// iptables resolves them; iptables-save prints the numbers, and so does natgate.
///
/// Kernel: `xt_owner_match_info`, revision 1 (both families).
public struct OwnerMatch: MatchExtension {
    public static let name = "owner"
    public static let options = [
        ExtensionOption("--uid-owner", negatable: true),
        ExtensionOption("--gid-owner", negatable: true),
        ExtensionOption("--socket-exists", arguments: 0, negatable: true),
        ExtensionOption("--suppl-groups", arguments: 0),
    ]

    /// The largest user or group id iptables accepts: 2³² − 2 (−1 is reserved).
    public static let maximumID: UInt32 = .max - 1

    /// An inclusive range of user or group ids; one id is a range of one.
    public struct IDRange: Hashable, Sendable, CustomStringConvertible {
        /// The first id.
        public var lower: UInt32
        /// The last id, included.
        public var upper: UInt32

        /// The single id `id`.
        public init(_ id: UInt32) {
            lower = id
            upper = id
        }

        /// The ids from `lower` to `upper`.
        public init(lower: UInt32, upper: UInt32) {
            self.lower = lower
            self.upper = upper
        }

        /// `1000`, or `1000-2000` as iptables-save prints a range.
        public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
    }

    /// `--socket-exists` (true), `! --socket-exists` (false), or not tested (nil).
    public var socketExists: Bool?
    /// `[!] --uid-owner`.
    public var uid: Negatable<IDRange>?
    /// `[!] --gid-owner`.
    public var gid: Negatable<IDRange>?
    /// `--suppl-groups`: `--gid-owner` also matches the process's supplementary groups.
    public var supplementaryGroups: Bool

    public init() { self.init(uid: nil) }

    /// An owner match of what is given (nil: not tested).
    public init(socketExists: Bool? = nil, uid: Negatable<IDRange>? = nil, gid: Negatable<IDRange>? = nil, supplementaryGroups: Bool = false) {
        self.socketExists = socketExists
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        switch option.name {
        case "--uid-owner":
            guard uid == nil else { throw option.invalid("owner takes --uid-owner only once.") }
            uid = Negatable(try OwnerMatch.idRange(option, database: "/etc/passwd"), negated: option.negated)
        case "--gid-owner":
            guard gid == nil else { throw option.invalid("owner takes --gid-owner only once.") }
            gid = Negatable(try OwnerMatch.idRange(option, database: "/etc/group"), negated: option.negated)
        case "--socket-exists":
            guard socketExists == nil else { throw option.invalid("owner takes --socket-exists only once.") }
            socketExists = !option.negated
        case "--suppl-groups":
            try option.refuseNegation("owner")
            guard gid != nil else {
                throw ModelError(.notAllowed, input: option.name, "owner: --suppl-groups needs --gid-owner before it.", at: option.location)
            }
            supplementaryGroups = true
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "owner has no option \(option.name); it takes --uid-owner, --gid-owner, --socket-exists and --suppl-groups (--pid-owner, --sid-owner and --cmd-owner were removed from Linux).",
                at: option.location)
        }
    }

    /// Reads `ID`, `ID-ID`, `ID:ID` (ids as C numbers) or a user or group name.
    ///
    /// iptables asks for a name first and reads numbers only when no user or group has that name;
    /// natgate reads numbers first, so that formatting a large ruleset does not read the account
    /// files for every rule. They differ only for an account whose name is a number.
    static func idRange(_ option: ParsedOption, database: String) throws -> IDRange {
        let text = option.argument
        if let (lower, rest) = XtablesNumber.prefix(text), lower <= UInt64(maximumID) {
            if rest.isEmpty { return IDRange(UInt32(lower)) }
            if rest.first == "-" || rest.first == ":", let upper = XtablesNumber.unsigned(rest.dropFirst(), in: 0...UInt64(maximumID)) {
                return IDRange(lower: UInt32(lower), upper: UInt32(upper))
            }
        }
        if let id = lookUpName(text, in: database) { return IDRange(id) }
        throw option.invalid("write a numeric id from 0 to \(maximumID), a range such as 1000-1999, or a name listed in \(database).")
    }

    /// The id of `name` in a `name:password:id:…` file, or nil.
    static func lookUpName(_ name: String, in path: String) -> UInt32? {
        guard !name.isEmpty, !name.contains(":"), let data = FileManager.default.contents(atPath: path) else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, fields[0] == name, let id = UInt32(fields[2]) { return id }
        }
        return nil
    }

    /// Checks what iptables and the kernel check: at least one condition, `--suppl-groups` only
    /// with `--gid-owner`, ranges that are not backwards, and a chain the kernel allows.
    public func validate(context: ExtensionContext) throws {
        guard socketExists != nil || uid != nil || gid != nil else {
            throw ModelError(.missingArgument, input: "-m owner", "owner needs at least one of --uid-owner, --gid-owner or --socket-exists.")
        }
        if supplementaryGroups && gid == nil {
            throw ModelError(.notAllowed, input: "--suppl-groups", "owner: --suppl-groups needs --gid-owner.")
        }
        for (option, range) in [("--uid-owner", uid?.value), ("--gid-owner", gid?.value)] {
            guard let range else { continue }
            if range.lower > range.upper {
                throw ModelError(.invalidValue, input: "\(option) \(range.lower)-\(range.upper)", "owner: \(option) \(range.lower)-\(range.upper) is backwards; write the lower id first.")
            }
            if range.upper > OwnerMatch.maximumID {
                throw ModelError(.invalidValue, input: "\(option) \(range)", "owner: \(option) \(range) is out of range; ids go up to \(OwnerMatch.maximumID).")
            }
        }
        if let chain = context.chain, [ChainName.input, .forward, .prerouting].contains(chain) {
            throw ModelError(.notAllowed, input: "-m owner", "owner matches only locally generated packets: the kernel allows it in OUTPUT and POSTROUTING, not in \(chain).")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if let socketExists { writer.option("--socket-exists", negated: !socketExists) }
        if let uid { writer.option("--uid-owner", uid.value.description, negated: uid.negated) }
        if let gid { writer.option("--gid-owner", gid.value.description, negated: gid.negated) }
        if supplementaryGroups { writer.word("--suppl-groups") }
    }
}
