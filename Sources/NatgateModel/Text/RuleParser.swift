/// Parses the words of one rule (everything after `-A CHAIN`) as iptables 1.8.9's `do_parse`
/// reads them, into one or more `Rule`s.
///
/// The parts that decide the model:
/// - Core options, short and long (`-s`/`--source`/`--src`, `--fragment` as getopt's abbreviation
///   of `--fragments`, …), with `!` before them, or after them in the deprecated `-s ! ADDR` form.
/// - `-m NAME` loads NAME from the registry; a name the registry does not know becomes an
///   `UnknownMatch` that collects the following words verbatim until the next `-m`, `-j`, `-g` or
///   core option.
/// - An extension option goes to the most recently loaded extension that declares it, then to
///   earlier ones, the target included (so options after `-j` go to the target first), exactly as
///   getopt finds it in iptables' merged option table. Long options may be abbreviated to a unique
///   prefix and may carry their argument after `=`, as with getopt.
/// - An option nobody declares, in a rule with `-p tcp` (udp, icmp, …), loads that protocol's match
///   at that point, once, as iptables does; iptables-save then prints `-m tcp` there.
/// - `-s` and `-d` with comma-separated lists give one rule per combination, sources outer.
struct RuleParser {
    let family: Family
    let registry: ExtensionRegistry
    let table: TableName?
    let chain: ChainName?
    /// Whether a name is a user chain of the table, for `-j NAME`; nil when there is no table to ask.
    let isUserChain: ((String) -> Bool)?

    /// The result of parsing one line's rule words.
    struct Parsed {
        var rules: [Rule]
        /// `-4` in an IPv6 file or `-6` in an IPv4 file: iptables-restore skips such lines.
        var skipped: Bool
    }

    private enum Core: Int, Hashable {
        case proto, source, destination, inInterface, outInterface, fragment, jump, goto, match, counters, ipv4, ipv6, command
    }

    private static let coreShort: [String: Core] = [
        "-p": .proto, "-s": .source, "-d": .destination, "-i": .inInterface, "-o": .outInterface, "-f": .fragment,
        "-j": .jump, "-g": .goto, "-m": .match, "-c": .counters, "-4": .ipv4, "-6": .ipv6,
        "-A": .command, "-I": .command, "-D": .command, "-R": .command, "-C": .command, "-N": .command, "-X": .command,
        "-P": .command, "-F": .command, "-Z": .command, "-E": .command, "-L": .command, "-S": .command, "-t": .command,
    ]

    /// iptables' `original_opts`, restricted to what a rule in a restore file may use, plus the
    /// commands so that a second command on a line is reported clearly.
    private static let coreLong: [(String, Core)] = [
        ("--append", .command), ("--delete", .command), ("--check", .command), ("--insert", .command),
        ("--replace", .command), ("--list", .command), ("--list-rules", .command), ("--flush", .command),
        ("--zero", .command), ("--new-chain", .command), ("--delete-chain", .command), ("--rename-chain", .command),
        ("--policy", .command), ("--source", .source), ("--destination", .destination), ("--src", .source),
        ("--dst", .destination), ("--protocol", .proto), ("--in-interface", .inInterface), ("--jump", .jump),
        ("--table", .command), ("--match", .match), ("--out-interface", .outInterface), ("--fragments", .fragment),
        ("--set-counters", .counters), ("--goto", .goto), ("--ipv4", .ipv4), ("--ipv6", .ipv6),
    ]

    /// Whether `word` is spelled like one of iptables' own options (`-s`, `--jump`, …), which would
    /// end an unknown extension's words.
    static func isCoreOption(_ word: String) -> Bool { coreExact(word) != nil }

    /// iptables 1.8.9's target extensions, so that `-j NAME` without a table to ask is a jump to a
    /// chain only when NAME is not one of them.
    static let knownTargetNames: Set<String> = [
        "AUDIT", "CHECKSUM", "CLASSIFY", "CLUSTERIP", "CONNMARK", "CONNSECMARK", "CT", "DNAT", "DNPT", "DSCP",
        "ECN", "HL", "HMARK", "IDLETIMER", "LED", "LOG", "MARK", "MASQUERADE", "NETMAP", "NFLOG", "NFQUEUE",
        "NOTRACK", "RATEEST", "REDIRECT", "REJECT", "SECMARK", "SET", "SNAT", "SNPT", "SYNPROXY", "TCPMSS",
        "TCPOPTSTRIP", "TEE", "TOS", "TPROXY", "TRACE", "TTL", "ULOG",
    ]

    private static func coreExact(_ word: String) -> Core? {
        let utf8 = word.utf8
        guard utf8.first == UInt8(ascii: "-") else { return nil }
        if utf8.count == 2 {
            let second = utf8[utf8.index(after: utf8.startIndex)]
            return second < 0x80 ? coreShortByByte[Int(second)] : nil
        }
        return coreLongExact[word]
    }

    /// `coreShort` by the byte after the `-`.
    private static let coreShortByByte: [Core?] = {
        var table = [Core?](repeating: nil, count: 128)
        for (word, core) in coreShort { table[Int(word.utf8.last!)] = core }
        return table
    }()

    private static let coreLongExact: [String: Core] = Dictionary(coreLong, uniquingKeysWith: { first, _ in first })

    /// The core options `!` may precede.
    private static let negatableCores: CoreSet = [.proto, .source, .destination, .inInterface, .outInterface, .fragment]

    /// A set of core options as bits: checked for every option of every rule, where a `Set`'s
    /// hashing showed in profiles.
    private struct CoreSet: ExpressibleByArrayLiteral {
        private var bits: UInt32 = 0
        init(arrayLiteral elements: Core...) { for element in elements { insert(element) } }
        func contains(_ core: Core) -> Bool { bits & (1 << UInt32(core.rawValue)) != 0 }
        mutating func insert(_ core: Core) { bits |= 1 << UInt32(core.rawValue) }
    }
    private static let incomingChains: Set<ChainName> = [.prerouting, .input]
    private static let outgoingChains: Set<ChainName> = [.postrouting, .output]

    /// Where an option was routed.
    private enum Slot: Hashable {
        case match(Int)
        case target
    }

    private enum TargetState {
        case none
        case verdict(Verdict)
        case jump(String)
        case goto(ChainName)
        case typed(any TargetExtension)
        case unknown(UnknownTarget)
    }

    private struct State {
        var proto: Negatable<IPProtocol>?
        var protoImplicitlyLoaded = false
        var sources: [IPNetwork]?
        var sourceNegated = false
        var destinations: [IPNetwork]?
        var destinationNegated = false
        var inInterface: Negatable<InterfaceName>?
        var outInterface: Negatable<InterfaceName>?
        var fragment: FragmentMatch?
        var matches: [any MatchExtension] = []
        var matchLocations: [SourceLocation] = []
        var target: TargetState = .none
        var targetLocation: SourceLocation?
        var targetName = ""
        var loadOrder: [Slot] = []
        /// The unknown extension collecting words, until a core option.
        var collecting: Slot?
        var counters: Counters?
        var seen: CoreSet = []
    }

    func parse(_ tokens: ArraySlice<SaveToken>, counters: Counters? = nil, end: SourceLocation) throws -> Parsed {
        // `-4` in an IPv6 file (`-6` in an IPv4 one) makes iptables-restore skip the line before
        // reading anything else of it.
        let (otherShort, otherLong) = family == .ipv4 ? ("-6", "--ipv6") : ("-4", "--ipv4")
        if tokens.contains(where: { !$0.quoted && ($0.text == otherShort || $0.text == otherLong) }) {
            return Parsed(rules: [], skipped: true)
        }
        var state = State()
        state.counters = counters
        var index = tokens.startIndex
        var bang: SaveToken?
        var skipped = false

        func next(after token: SaveToken, what: String) throws -> SaveToken {
            guard index < tokens.endIndex else {
                throw ModelError(.missingArgument, input: token.text, "\(token.text) needs \(what) after it, but the line ends", at: token.location)
            }
            defer { index += 1 }
            return tokens[index]
        }

        while index < tokens.endIndex {
            let token = tokens[index]
            index += 1

            if token.isBang {
                if let bang {
                    throw ModelError(.syntax, input: "!", "two '!' in a row: write a single '!' before the option to negate", at: bang.location)
                }
                // Inside an unknown extension, a `!` belongs to it unless a core option follows.
                if let slot = state.collecting, !(index < tokens.endIndex && tokens[index].isOptionLike && RuleParser.coreExact(tokens[index].text) != nil) {
                    appendUnknown(token.text, to: slot, state: &state)
                    continue
                }
                bang = token
                continue
            }

            if !token.isOptionLike {
                if let slot = state.collecting {
                    appendUnknown(token.text, to: slot, state: &state)
                    continue
                }
                throw ModelError(
                    .syntax, input: token.text,
                    "unexpected word '\(token.text)': expected an option such as -p, -s, -m NAME or -j TARGET\(token.quoted ? " (a quoted word is never an option)" : "")",
                    at: token.location)
            }

            // Core options end an unknown extension's words.
            if let core = RuleParser.coreExact(token.text) ?? (state.collecting == nil ? coreAbbreviation(token.text, state: state) : nil) {
                state.collecting = nil
                let negated = bang != nil
                let bangLocation = bang?.location
                bang = nil
                if try applyCore(core, token: token, negated: negated, bangLocation: bangLocation, state: &state, next: { try next(after: token, what: $0) }, peek: { index < tokens.endIndex ? tokens[index] : nil }, skip: { index += 1 }) {
                    skipped = true
                }
                continue
            }

            if let slot = state.collecting {
                if let bang { appendUnknown(bang.text, to: slot, state: &state) }
                bang = nil
                appendUnknown(token.text, to: slot, state: &state)
                continue
            }

            // An extension option: split `--name=value` as getopt does.
            var name = token.text
            var inline: String?
            if name.hasPrefix("--"), let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }

            var resolved = try resolve(name, token: token, state: state)
            if resolved == nil, let proto = state.proto, !state.protoImplicitlyLoaded, let matchName = proto.value.implicitMatchName(family: family) {
                state.protoImplicitlyLoaded = true
                if let type = registry.matches[matchName], type.families.contains(family) {
                    state.matches.append(type.init())
                    state.matchLocations.append(token.location)
                    state.loadOrder.append(.match(state.matches.count - 1))
                    resolved = try resolve(name, token: token, state: state)
                } else if registry.matches[matchName] == nil {
                    // The protocol's match has no type: keep it, and this option, verbatim.
                    state.matches.append(UnknownMatch(name: matchName, words: []))
                    state.matchLocations.append(token.location)
                    let slot = Slot.match(state.matches.count - 1)
                    state.loadOrder.append(slot)
                    state.collecting = slot
                    if let bang { appendUnknown(bang.text, to: slot, state: &state) }
                    bang = nil
                    appendUnknown(token.text, to: slot, state: &state)
                    continue
                }
            }
            guard let (slot, option) = resolved else {
                // An option after the words of an unknown extension belongs to it.
                if let slot = state.loadOrder.last(where: { isUnknown($0, state: state) }) {
                    if let bang { appendUnknown(bang.text, to: slot, state: &state) }
                    bang = nil
                    appendUnknown(token.text, to: slot, state: &state)
                    continue
                }
                throw ModelError(.unknownOption, input: token.text, unknownOptionMessage(token.text, state: state), at: token.location)
            }

            var negated = bang != nil
            let negationLocation = bang?.location ?? token.location
            bang = nil
            var arguments: [String] = []
            if let inline { arguments.append(inline) }
            if arguments.isEmpty, option.argumentCount > 0, index < tokens.endIndex, tokens[index].isBang, option.negatable {
                // The deprecated `--option ! value`.
                if negated {
                    throw ModelError(.syntax, input: "!", "\(token.text) is negated twice: keep only the '!' before it", at: tokens[index].location)
                }
                negated = true
                index += 1
            }
            while arguments.count < option.argumentCount {
                let argument = try next(after: token, what: option.argumentCount == 1 ? "a value" : "\(option.argumentCount) values")
                arguments.append(argument.text)
            }
            if arguments.count > max(option.argumentCount, 1) || (option.argumentCount == 0 && inline != nil) {
                throw ModelError(.syntax, input: token.text, "\(name) takes no value: write it without '='", at: token.location)
            }
            if negated && !option.negatable {
                throw ModelError(.syntax, input: token.text, "\(name) cannot be negated: remove the '!' before it", at: negationLocation)
            }
            let parsed = ParsedOption(name: option.names.first ?? name, negated: negated, arguments: arguments, location: token.location)
            let context = partialContext(state)
            do {
                switch slot {
                case .match(let i): try state.matches[i].parse(parsed, context: context)
                case .target:
                    if case .typed(var target) = state.target {
                        try target.parse(parsed, context: context)
                        state.target = .typed(target)
                    }
                }
            } catch let error as ModelError {
                throw error.located(at: token.location)
            }
        }

        if let bang {
            throw ModelError(.syntax, input: "!", "'!' at the end of the rule negates nothing: put it before the option to negate", at: bang.location)
        }
        return Parsed(rules: skipped ? [] : try finish(state, end: end), skipped: skipped)
    }

    // MARK: - Core options

    /// Applies a core option; returns true when the line is to be skipped (`-4`/`-6` of the other family).
    private func applyCore(
        _ core: Core, token: SaveToken, negated: Bool, bangLocation: SourceLocation?, state: inout State,
        next: (String) throws -> SaveToken, peek: () -> SaveToken?, skip: () -> Void
    ) throws -> Bool {
        let negatable = RuleParser.negatableCores
        var negated = negated
        if negated && !negatable.contains(core) {
            throw ModelError(.syntax, input: token.text, "'!' cannot precede \(token.text): only -p, -s, -d, -i, -o, -f and extension options can be negated", at: bangLocation ?? token.location)
        }
        if core != .command, core != .ipv4, core != .ipv6, core != .match, state.seen.contains(core) {
            let what = core == .goto ? "-j or -g" : token.text
            throw ModelError(.syntax, input: token.text, "\(what) is given twice in one rule: keep one", at: token.location)
        }
        if core == .jump || core == .goto {
            if state.seen.contains(.jump) || state.seen.contains(.goto) {
                throw ModelError(.syntax, input: token.text, "a rule has one target: -j or -g is given twice", at: token.location)
            }
        }
        state.seen.insert(core)

        // The deprecated `-s ! ADDRESS` form.
        func argument(_ what: String) throws -> SaveToken {
            if negatable.contains(core), let following = peek(), following.isBang {
                if negated {
                    throw ModelError(.syntax, input: "!", "\(token.text) is negated twice: keep only the '!' before it", at: following.location)
                }
                negated = true
                skip()
            }
            return try next(what)
        }

        switch core {
        case .proto:
            let value = try argument("a protocol")
            let proto: IPProtocol
            do { proto = try IPProtocol(value.text) } catch let error as ModelError { throw error.located(at: value.location) }
            if proto.number == 0 && negated {
                throw ModelError(.invalidValue, input: value.text, "'! -p \(value.text)' would never match: remove the rule or the '!'", at: value.location)
            }
            state.proto = Negatable(proto, negated: negated)
        case .source, .destination:
            let value = try argument("an address")
            var networks: [IPNetwork] = []
            if !value.text.utf8.contains(UInt8(ascii: ",")) {
                // One address, as almost every rule has: no list to split.
                networks = [try network(value.text, at: value.location)]
            } else {
                for part in value.text.split(separator: ",", omittingEmptySubsequences: false) {
                    networks.append(try network(String(part), at: value.location))
                }
            }
            if core == .source {
                state.sources = networks
                state.sourceNegated = negated
            } else {
                state.destinations = networks
                state.destinationNegated = negated
            }
        case .inInterface, .outInterface:
            let value = try argument("an interface name")
            if value.text.isEmpty {
                throw ModelError(.invalidInterface, input: "", "the interface name is empty: write a name such as eth0, or veth+ for every name starting with veth", at: value.location)
            }
            let name: InterfaceName
            do { name = try InterfaceName(value.text) } catch let error as ModelError { throw error.located(at: value.location) }
            if let chain {
                let incoming = RuleParser.incomingChains
                let outgoing = RuleParser.outgoingChains
                if core == .outInterface, incoming.contains(chain) {
                    throw ModelError(.notAllowed, input: token.text, "-o cannot be used in \(chain): packets there have no output interface yet; use -i", at: token.location)
                }
                if core == .inInterface, outgoing.contains(chain) {
                    throw ModelError(.notAllowed, input: token.text, "-i cannot be used in \(chain): locally sent packets have no input interface; use -o", at: token.location)
                }
            }
            let entry = Negatable(name, negated: negated)
            if core == .inInterface { state.inInterface = entry } else { state.outInterface = entry }
        case .fragment:
            if family == .ipv6 {
                throw ModelError(.notAllowed, input: token.text, "-f does not exist in IPv6: use -m frag instead", at: token.location)
            }
            state.fragment = negated ? .nonFragmentsOnly : .fragmentsOnly
        case .jump:
            let value = try next("a target or chain name")
            try loadTarget(value, state: &state)
        case .goto:
            let value = try next("a chain name")
            let name: ChainName
            do { name = try ChainName(value.text) } catch let error as ModelError { throw error.located(at: value.location) }
            if let table, table.isBuiltin(name) {
                throw ModelError(.notAllowed, input: value.text, "-g cannot go to the built-in chain \(name): go to a user chain", at: value.location)
            }
            if let isUserChain, !isUserChain(value.text) {
                throw ModelError(.notAllowed, input: value.text, "-g \(value.text): there is no chain \(value.text) in this table; declare it with ':\(value.text) - [0:0]' first", at: value.location)
            }
            state.target = .goto(name)
            state.targetLocation = value.location
        case .match:
            let value = try next("a match name")
            try loadMatch(value, state: &state)
        case .counters:
            let packets = try next("packet and byte counters")
            var bytesText: String
            var packetsText = packets.text
            if let comma = packets.text.firstIndex(of: ",") {
                packetsText = String(packets.text[..<comma])
                bytesText = String(packets.text[packets.text.index(after: comma)...])
            } else {
                bytesText = try next("a byte counter").text
            }
            guard let p = UInt64(packetsText), let b = UInt64(bytesText) else {
                throw ModelError(.invalidValue, input: packets.text, "-c needs two numbers, packets then bytes, such as -c 10 840", at: packets.location)
            }
            if state.counters != nil {
                throw ModelError(.syntax, input: token.text, "the rule's counters are given twice (a [packets:bytes] prefix and -c): keep one", at: token.location)
            }
            state.counters = Counters(packets: p, bytes: b)
        case .ipv4:
            return family == .ipv6
        case .ipv6:
            return family == .ipv4
        case .command:
            throw ModelError(.syntax, input: token.text, "\(token.text) is a command, and a line holds one command: start a new line for it", at: token.location)
        }
        return false
    }

    private func network(_ text: String, at location: SourceLocation) throws -> IPNetwork {
        do {
            return try IPNetwork(iptablesText: text, family: family)
        } catch let error as ModelError {
            var error = error
            if text.isEmpty {
                error.message = "the address is empty: write an address such as \(family == .ipv4 ? "192.0.2.1 or 10.0.0.0/8" : "2001:db8::1 or fd00::/64")"
            } else if !text.contains(":") && !text.contains(".") || text.contains(where: { $0.isLetter && !$0.isHexDigit }) {
                error.message += " Host names are not resolved: write the address."
            }
            throw error.located(at: location)
        }
    }

    private func abbreviationCandidates(_ word: String, state: State) -> [(String, Core)] {
        guard word.hasPrefix("--"), word.utf8.count > 2 else { return [] }
        // The name before any `=`, looked up among the prefixes of the core options: one hash
        // instead of 28 prefix comparisons, for every extension option of every rule.
        let name = word.utf8.contains(UInt8(ascii: "=")) ? word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word : word
        return RuleParser.coreLongByPrefix[name] ?? []
    }

    /// `coreLong` by every prefix (longer than `--`) of each name, in `coreLong`'s order.
    private static let coreLongByPrefix: [String: [(String, Core)]] = {
        var byPrefix: [String: [(String, Core)]] = [:]
        for (name, core) in coreLong {
            for length in 3...name.count {
                byPrefix[String(name.prefix(length)), default: []].append((name, core))
            }
        }
        return byPrefix
    }()

    /// A unique abbreviation of a core long option that no loaded extension option also abbreviates.
    private func coreAbbreviation(_ word: String, state: State) -> Core? {
        let core = abbreviationCandidates(word, state: state)
        guard !core.isEmpty, Set(core.map(\.1)).count == 1 else { return nil }
        let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
        for slot in state.loadOrder {
            if extensionOptions(slot, state: state).contains(where: { $0.names.contains { $0.hasPrefix(name) } }) { return nil }
        }
        return core[0].1
    }

    // MARK: - Extensions

    private func loadMatch(_ token: SaveToken, state: inout State) throws {
        let name = token.text
        try checkExtensionName(name, kind: "match", at: token.location)
        if let type = registry.matches[name] {
            guard type.families.contains(family) else {
                throw ModelError(
                    .notAllowed, input: name,
                    "the \(name) match does not exist for \(family == .ipv4 ? "IPv4" : "IPv6")\(name == "icmp" ? ": use -m icmp6 with -p ipv6-icmp" : name == "icmp6" ? ": use -m icmp with -p icmp" : "")",
                    at: token.location)
            }
            state.matches.append(type.init())
            state.matchLocations.append(token.location)
            state.loadOrder.append(.match(state.matches.count - 1))
            state.collecting = nil
        } else {
            state.matches.append(UnknownMatch(name: name, words: []))
            state.matchLocations.append(token.location)
            state.loadOrder.append(.match(state.matches.count - 1))
            state.collecting = .match(state.matches.count - 1)
        }
        if let proto = state.proto, proto.value.implicitMatchName(family: family) == name {
            // An explicit `-m tcp` is the protocol's match: iptables will not load it again.
            state.protoImplicitlyLoaded = true
        }
    }

    private func loadTarget(_ token: SaveToken, state: inout State) throws {
        let name = token.text
        try checkExtensionName(name, kind: "target", at: token.location)
        state.targetName = name
        state.targetLocation = token.location
        if let verdict = Verdict(rawValue: name) {
            state.target = .verdict(verdict)
        } else if let type = registry.targets[name] {
            guard type.families.contains(family) else {
                throw ModelError(.notAllowed, input: name, "the \(name) target does not exist for \(family == .ipv4 ? "IPv4" : "IPv6")", at: token.location)
            }
            state.target = .typed(type.init())
            state.loadOrder.append(.target)
            state.collecting = nil
        } else if let isUserChain {
            if isUserChain(name) {
                state.target = .jump(name)
            } else {
                state.target = .unknown(UnknownTarget(name: name, words: []))
                state.loadOrder.append(.target)
                state.collecting = .target
            }
        } else {
            // No table to ask: an unknown name is a chain unless option words follow; see `finish`.
            state.target = .unknown(UnknownTarget(name: name, words: []))
            state.loadOrder.append(.target)
            state.collecting = .target
        }
    }

    private func checkExtensionName(_ name: String, kind: String, at location: SourceLocation) throws {
        if name.isEmpty {
            throw ModelError(.syntax, input: name, "the \(kind) name is empty", at: location)
        }
        if name.utf8.count > 28 {
            throw ModelError(.syntax, input: name, "\(ModelError.quote(name)) is \(name.utf8.count) characters long; \(kind) and chain names have at most 28", at: location)
        }
        // Printable ASCII has no white space; anything else gets the Unicode check.
        if !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), name.contains(where: { $0.isWhitespace }) {
            throw ModelError(.syntax, input: name, "the \(kind) name \(ModelError.quote(name)) contains white space", at: location)
        }
    }

    private func isUnknown(_ slot: Slot, state: State) -> Bool {
        switch slot {
        case .match(let i): state.matches[i] is UnknownMatch
        case .target: if case .unknown = state.target { true } else { false }
        }
    }

    private func appendUnknown(_ word: String, to slot: Slot, state: inout State) {
        switch slot {
        case .match(let i):
            if var unknown = state.matches[i] as? UnknownMatch {
                unknown.words.append(word)
                state.matches[i] = unknown
            }
        case .target:
            if case .unknown(var unknown) = state.target {
                unknown.words.append(word)
                state.target = .unknown(unknown)
            }
        }
    }

    private func extensionOptions(_ slot: Slot, state: State) -> [ExtensionOption] {
        switch slot {
        case .match(let i):
            return state.matches[i] is UnknownMatch ? [] : type(of: state.matches[i]).options
        case .target:
            if case .typed(let target) = state.target { return type(of: target).options }
            return []
        }
    }

    /// Finds the extension an option goes to: an exact name, newest extension first, then a unique
    /// abbreviation (getopt's rule), or nil when no loaded extension has it.
    private func resolve(_ name: String, token: SaveToken, state: State) throws -> (Slot, ExtensionOption)? {
        for slot in state.loadOrder.reversed() {
            if let option = extensionOptions(slot, state: state).first(where: { $0.names.contains(name) }) {
                return (slot, option)
            }
        }
        guard name.hasPrefix("--"), name.utf8.count > 2 else { return nil }
        var found: [(Slot, ExtensionOption)] = []
        for slot in state.loadOrder.reversed() {
            for option in extensionOptions(slot, state: state) where option.names.contains(where: { $0.hasPrefix(name) }) {
                if !found.contains(where: { $0.1 == option }) { found.append((slot, option)) }
            }
        }
        if found.count > 1 {
            let names = found.compactMap { $0.1.names.first }.joined(separator: ", ")
            throw ModelError(.unknownOption, input: name, "\(name) is ambiguous: it abbreviates \(names); write the option in full", at: token.location)
        }
        return found.first
    }

    private func unknownOptionMessage(_ word: String, state: State) -> String {
        var loaded: [String] = []
        for slot in state.loadOrder {
            switch slot {
            case .match(let i): loaded.append("-m \(state.matches[i].extensionName)")
            case .target: loaded.append("-j \(state.targetName)")
            }
        }
        var message = "unknown option \(word): "
        if loaded.isEmpty {
            message += "no match is loaded to take it; load one with -m NAME before it"
        } else {
            message += "none of \(loaded.joined(separator: ", ")) takes it"
        }
        if state.proto == nil, ["--dport", "--sport", "--destination-port", "--source-port", "--tcp-flags", "--syn", "--icmp-type"].contains(word) {
            message += " (did you forget -p tcp, -p udp or -p icmp before it?)"
        }
        return message
    }

    private func partialContext(_ state: State) -> ExtensionContext {
        ExtensionContext(
            family: family,
            ipProtocol: state.proto.flatMap { $0.negated ? nil : $0.value },
            table: table, chain: chain)
    }

    // MARK: - Finishing

    private func finish(_ state: State, end: SourceLocation) throws -> [Rule] {
        var matches: [Match] = []
        let context = partialContext(state)
        for (i, base) in state.matches.enumerated() {
            do { try base.validate(context: context) } catch let error as ModelError { throw error.located(at: state.matchLocations[i]) }
            matches.append(Match(base))
        }
        var target: RuleTarget?
        switch state.target {
        case .none: target = nil
        case .verdict(let verdict): target = .verdict(verdict)
        case .jump(let name):
            target = .jump(try chainName(name, at: state.targetLocation ?? end))
        case .goto(let chain): target = .goto(chain)
        case .typed(let base):
            do { try base.validate(context: context) } catch let error as ModelError { throw error.located(at: state.targetLocation ?? end) }
            target = .extension(Target(base))
        case .unknown(let base):
            if isUserChain == nil, base.words.isEmpty, !RuleParser.knownTargetNames.contains(base.extensionName),
                let chain = try? ChainName(base.extensionName)
            {
                target = .jump(chain)
            } else {
                target = .extension(Target(base))
            }
        }
        if let table, let target {
            try checkTarget(target, table: table, at: state.targetLocation ?? end)
        }
        if table == .nat, case .verdict(.drop) = target {
            throw ModelError(.notAllowed, input: "DROP", "the nat table is not for filtering and iptables refuses -j DROP there: drop in the filter table", at: state.targetLocation ?? end)
        }

        // What the kernel does not store, and iptables-save does not print, is not in the model
        // either: `-p all`, `-s 0.0.0.0/0` (not negated), `-i +` (negated or not).
        let sources: [IPNetwork?] = state.sources.map { $0.map { $0.isAny && !state.sourceNegated ? nil : $0 } } ?? [nil]
        let destinations: [IPNetwork?] = state.destinations.map { $0.map { $0.isAny && !state.destinationNegated ? nil : $0 } } ?? [nil]
        let proto = state.proto?.value.number == 0 ? nil : state.proto
        let inInterface = state.inInterface?.value.stem.isEmpty == true ? nil : state.inInterface
        let outInterface = state.outInterface?.value.stem.isEmpty == true ? nil : state.outInterface
        var rules: [Rule] = []
        rules.reserveCapacity(sources.count * destinations.count)
        for source in sources {
            for destination in destinations {
                rules.append(Rule(
                    ipProtocol: proto,
                    source: source.map { Negatable($0, negated: state.sourceNegated) },
                    destination: destination.map { Negatable($0, negated: state.destinationNegated) },
                    inInterface: inInterface,
                    outInterface: outInterface,
                    fragment: state.fragment,
                    matches: matches,
                    target: target,
                    counters: state.counters))
            }
        }
        return rules
    }

    private func chainName(_ name: String, at location: SourceLocation) throws -> ChainName {
        do { return try ChainName(name) } catch let error as ModelError { throw error.located(at: location) }
    }

    private func checkTarget(_ target: RuleTarget, table: TableName, at location: SourceLocation) throws {
        guard case .extension(let ext) = target else { return }
        if let tables = ext.allowedTables, !tables.contains(table) {
            let names = tables.sorted().map(\.rawValue).joined(separator: " or ")
            throw ModelError(.notAllowed, input: ext.name, "the \(ext.name) target is only valid in the \(names) table, not in \(table)", at: location)
        }
        if let chains = ext.allowedChains, let chain, table.isBuiltin(chain), !chains.contains(chain) {
            let names = chains.sorted().map(\.rawValue).joined(separator: " or ")
            throw ModelError(.notAllowed, input: ext.name, "the \(ext.name) target is only valid from \(names), not from \(chain)", at: location)
        }
    }
}
