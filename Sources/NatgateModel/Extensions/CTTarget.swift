/// `-j CT [--notrack] [--helper NAME] [--timeout NAME] [--ctevents LIST] [--expevents new]
/// [--zone[-orig|-reply] ID|mark]`: set up connection tracking for the packet before conntrack sees it.
/// raw table; PREROUTING and OUTPUT only (the kernel refuses it elsewhere).
///
/// iptables-save prints the options in that order; events in the kernel's bit order; the zone only
/// when it is not 0 or comes from the mark. `-j NOTRACK` is the same kernel target with an alias
/// flag; see `NotrackTarget`.
///
/// Kernel, revision 2: `xt_ct_target_info_v1`, 72 bytes, of which the last 8 are the kernel's own
/// pointer (userspace size 64).
public struct CTTarget: TargetExtension {
    public static let name = "CT"
    public static let options = [
        ExtensionOption("--notrack", arguments: 0),
        ExtensionOption("--helper"),
        ExtensionOption("--timeout"),
        ExtensionOption("--ctevents"),
        ExtensionOption("--expevents"),
        ExtensionOption("--zone-orig"),
        ExtensionOption("--zone-reply"),
        ExtensionOption("--zone"),
    ]
    public static let allowedTables: Set<TableName>? = [.raw]
    public static let allowedChains: Set<ChainName>? = [.prerouting, .output]

    /// The longest helper name the kernel keeps (`char helper[16]`).
    public static let maximumHelperLength = 15
    /// The longest timeout policy name the kernel keeps (`char timeout[32]`).
    public static let maximumTimeoutLength = 31

    /// Conntrack events to deliver for the connection; raw values are `1 << IPCT_*`.
    public struct Events: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Deliver `new`: a connection was created.
        public static let new = Events(rawValue: 1 << 0)
        /// Deliver `related`: a related connection was created.
        public static let related = Events(rawValue: 1 << 1)
        /// Deliver `destroy`: a connection was destroyed.
        public static let destroy = Events(rawValue: 1 << 2)
        /// Deliver `reply`: the connection saw a reply.
        public static let reply = Events(rawValue: 1 << 3)
        /// Deliver `assured`: the connection was assured.
        public static let assured = Events(rawValue: 1 << 4)
        /// Deliver `protoinfo`: the protocol state changed.
        public static let protoinfo = Events(rawValue: 1 << 5)
        /// Deliver `helper`: a helper was assigned.
        public static let helper = Events(rawValue: 1 << 6)
        /// Deliver `mark`: the connection mark changed.
        public static let mark = Events(rawValue: 1 << 7)
        /// Deliver `natseqinfo`: nAT sequence adjustment changed.
        public static let natseqinfo = Events(rawValue: 1 << 8)
        /// Deliver `secmark`: the security mark changed.
        public static let secmark = Events(rawValue: 1 << 9)

        /// Names in the order iptables prints them.
        public static let names: [(Events, String)] = [
            (.new, "new"), (.related, "related"), (.destroy, "destroy"), (.reply, "reply"), (.assured, "assured"),
            (.protoinfo, "protoinfo"), (.helper, "helper"), (.mark, "mark"), (.natseqinfo, "natseqinfo"), (.secmark, "secmark"),
        ]
    }

    /// Expectation events; only `new` exists (`1 << IPEXP_NEW`).
    public struct ExpectationEvents: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Deliver `new` expectation events.
        public static let new = ExpectationEvents(rawValue: 1 << 0)
        /// Names in the order iptables prints them.
        public static let names: [(ExpectationEvents, String)] = [(.new, "new")]
    }

    /// Which directions a zone applies to: both (`--zone`), or one (`--zone-orig`, `--zone-reply`).
    public struct ZoneDirections: OptionSet, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// `XT_CT_ZONE_DIR_ORIG`.
        public static let original = ZoneDirections(rawValue: 1 << 2)
        /// `XT_CT_ZONE_DIR_REPL`.
        public static let reply = ZoneDirections(rawValue: 1 << 3)
    }

    /// Do not track the packet (`--notrack`).
    public var notrack: Bool
    /// A conntrack helper, such as `ftp`; empty for none. The kernel refuses names it does not know.
    public var helper: String
    /// A timeout policy made with nfct; empty for none.
    public var timeout: String
    /// `--ctevents`: the connection events to deliver; empty for the default.
    public var events: Events
    /// `--expevents`: the expectation events to deliver; empty for the default.
    public var expectationEvents: ExpectationEvents
    /// The conntrack zone, 0 to 65535.
    public var zone: UInt16
    /// Take the zone from the packet mark (`--zone mark`) instead of `zone`.
    public var zoneFromMark: Bool
    /// Empty for both directions.
    public var zoneDirections: ZoneDirections

    public init() { self.init(notrack: false) }

    /// A CT target with the settings given.
    public init(
        notrack: Bool = false, helper: String = "", timeout: String = "", events: Events = [],
        expectationEvents: ExpectationEvents = [], zone: UInt16 = 0, zoneFromMark: Bool = false, zoneDirections: ZoneDirections = []
    ) {
        self.notrack = notrack
        self.helper = helper
        self.timeout = timeout
        self.events = events
        self.expectationEvents = expectationEvents
        self.zone = zone
        self.zoneFromMark = zoneFromMark
        self.zoneDirections = zoneDirections
    }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--notrack": notrack = true
        case "--helper":
            guard helper.isEmpty else { throw option.usedTwice(Self.name) }
            helper = try CTTarget.name(option, maximum: CTTarget.maximumHelperLength)
        case "--timeout":
            guard timeout.isEmpty else { throw option.usedTwice(Self.name) }
            timeout = try CTTarget.name(option, maximum: CTTarget.maximumTimeoutLength)
        case "--ctevents":
            guard events.isEmpty else { throw option.usedTwice(Self.name) }
            events = Events(rawValue: try CTTarget.events(option, names: Events.names.map { ($0.0.rawValue, $0.1) }))
        case "--expevents":
            guard expectationEvents.isEmpty else { throw option.usedTwice(Self.name) }
            expectationEvents = ExpectationEvents(rawValue: try CTTarget.events(option, names: ExpectationEvents.names.map { ($0.0.rawValue, $0.1) }))
        case "--zone", "--zone-orig", "--zone-reply":
            if option.name == "--zone-orig" { zoneDirections.insert(.original) }
            if option.name == "--zone-reply" { zoneDirections.insert(.reply) }
            zone = 0
            if option.argument.lowercased() == "mark" {
                zoneFromMark = true
            } else {
                guard let id = XtablesNumber.unsigned(option.argument, in: 0...65535) else {
                    throw option.invalid("write a zone number from 0 to 65535, or mark.")
                }
                zone = UInt16(id)
            }
        default:
            throw ModelError(
                .unknownOption, input: option.name,
                "CT has no option \(option.name): it takes --notrack, --helper, --timeout, --ctevents, --expevents, --zone, --zone-orig and --zone-reply.",
                at: option.location)
        }
    }

    static func name(_ option: ParsedOption, maximum: Int) throws -> String {
        let text = option.argument
        guard !text.isEmpty, text.utf8.count <= maximum, !text.utf8.contains(0) else {
            throw option.invalid("write a name of 1 to \(maximum) bytes (the kernel keeps no more).")
        }
        return text
    }

    static func events(_ option: ParsedOption, names: [(UInt32, String)]) throws -> UInt32 {
        var mask: UInt32 = 0
        for word in option.argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let bit = names.first(where: { $0.1 == word })?.0 else {
                throw option.invalid("'\(word)' is not an event: use a comma-separated list of \(names.map(\.1).joined(separator: ", ")).")
            }
            mask |= bit
        }
        return mask
    }

    public func validate(context: ExtensionContext) throws {
        for (value, field, maximum) in [(helper, "--helper", CTTarget.maximumHelperLength), (timeout, "--timeout", CTTarget.maximumTimeoutLength)]
        where value.utf8.count > maximum || value.utf8.contains(0) {
            throw ModelError(.invalidValue, input: value, "\(field) \(value): write a name of at most \(maximum) bytes, without NUL.")
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        if notrack { writer.word("--notrack") }
        if !helper.isEmpty { writer.option("--helper", helper) }
        if !timeout.isEmpty { writer.option("--timeout", timeout) }
        if !events.isEmpty {
            writer.option("--ctevents", Events.names.filter { events.contains($0.0) }.map(\.1).joined(separator: ","))
        }
        if !expectationEvents.isEmpty {
            writer.option("--expevents", ExpectationEvents.names.filter { expectationEvents.contains($0.0) }.map(\.1).joined(separator: ","))
        }
        if zoneFromMark || zone != 0 {
            var option = "--zone"
            if zoneDirections == .original { option += "-orig" }
            if zoneDirections == .reply { option += "-reply" }
            writer.option(option, zoneFromMark ? "mark" : "\(zone)")
        }
    }
}

/// `-j NOTRACK`: do not track the packet. raw table; PREROUTING and OUTPUT only.
///
/// iptables 1.8.9 writes it as the CT target with `XT_CT_NOTRACK | XT_CT_NOTRACK_ALIAS` and prints
/// it back as `-j NOTRACK`; `-j CT --notrack` is the same behaviour printed the other way.
public struct NotrackTarget: TargetExtension {
    public static let name = "NOTRACK"
    public static let options: [ExtensionOption] = []
    public static let allowedTables: Set<TableName>? = [.raw]
    public static let allowedChains: Set<ChainName>? = [.prerouting, .output]

    public init() {}

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        throw ModelError(.unknownOption, input: option.name, "NOTRACK takes no options; for CT's options write -j CT --notrack ….", at: option.location)
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {}
}
