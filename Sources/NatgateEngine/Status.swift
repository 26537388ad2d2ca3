import Foundation
import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// What natgate finds in a namespace: its gateways and their rules, forwarding, and drift.
public struct Status: Sendable, Codable, CustomStringConvertible {
    /// One rule of a gateway: its counters, and the rule as iptables-save prints it without them
    /// (`-A NATGATE-POSTROUTING -s 10.200.1.0/24 -o eth0 … -j MASQUERADE`).
    public struct RuleStatus: Sendable, Codable, Hashable, CustomStringConvertible {
        /// Packets and bytes the rule matched; nil when the store keeps no counters.
        public var counters: Counters?
        /// The rule as iptables-save prints it, without counters.
        public var line: String

        /// A rule with its counters.
        public init(counters: Counters?, line: String) {
            self.counters = counters
            self.line = line
        }

        /// The rule as `iptables-save -c` prints it: `[2:120] -A …`.
        public var description: String { counters.map { "\($0) \(line)" } ?? line }
    }

    /// A gateway's rules in one table.
    public struct TableRules: Sendable, Codable, Hashable {
        /// The table the rules are in.
        public var table: TableName
        /// The gateway's rules in it, in chain order.
        public var rules: [RuleStatus]

        /// The `rules` of one gateway in `table`.
        public init(table: TableName, rules: [RuleStatus]) {
            self.table = table
            self.rules = rules
        }
    }

    /// One gateway as the kernel holds it.
    public struct GatewayStatus: Sendable, Codable {
        /// The gateway, read back from its rules' tags.
        public var gateway: Gateway
        /// Its rules per table, in the order iptables-save prints the tables (nat, then filter).
        public var rules: [TableRules]
        /// Packets and bytes its NAT rules (MASQUERADE or SNAT) have matched: new connections.
        public var natPackets: UInt64
        /// Bytes of those packets.
        public var natBytes: UInt64
    }

    /// A family's forwarding sysctl.
    public struct ForwardingStatus: Sendable, Codable, Hashable {
        /// The sysctl, such as `net.ipv4.ip_forward`.
        public var key: String
        /// Its value, nil when it could not be read.
        public var value: String?
        /// The value natgate will put back when the family's last gateway goes, if natgate changed it.
        public var recordedPrevious: String?

        /// The sysctl `key` with its value and the value natgate recorded, when known.
        public init(key: String, value: String? = nil, recordedPrevious: String? = nil) {
            self.key = key
            self.value = value
            self.recordedPrevious = recordedPrevious
        }
    }

    /// One family's part.
    public struct FamilyStatus: Sendable, Codable {
        /// The family this part describes.
        public var family: Family
        /// The family's gateways, sorted.
        public var gateways: [GatewayStatus]
        /// The family's forwarding sysctl.
        public var forwarding: ForwardingStatus
        /// Differences between the owned chains and what their gateways compile to.
        public var drift: [String]
        /// Why this family's tables could not be read, if they could not.
        public var unreadable: String?
    }

    /// Which backend natgate reads and writes, and why; nil for a store that is not a kernel's.
    public var backend: BackendStatus?
    /// Each family's part, IPv4 then IPv6.
    public var families: [FamilyStatus]
    /// What the namespace's nftables ruleset does to the gateways; nil when not read.
    public var nftables: NFTablesStatus?
    /// A change natgate began here and did not finish, with what to run, nil when there is none.
    /// The gateways above may then be neither those before it nor those it asked for.
    public var interruptedChange: String?

    enum CodingKeys: String, CodingKey { case backend, families, nftables, interruptedChange }

    /// The status as `natgate status --json` prints it, `schemaVersion` and `version` first when it
    /// is the whole document (see `OutputEnvelope`).
    public func encode(to encoder: any Encoder) throws {
        try OutputEnvelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(backend, forKey: .backend)
        try container.encode(families, forKey: .families)
        try container.encodeIfPresent(nftables, forKey: .nftables)
        try container.encodeIfPresent(interruptedChange, forKey: .interruptedChange)
    }

    /// Whether any family has drift.
    public var hasDrift: Bool { families.contains { !$0.drift.isEmpty } }

    /// Whether an nftables chain drops, rejects or re-NATs a gateway's traffic.
    public var blockedByNFTables: Bool { nftables?.blocksGateways ?? false }

    /// The compact form, as `natgate status` prints it: one table row per gateway.
    public var description: String { text(verbose: false) }

    /// `natgate status` for people: per family a line on forwarding and a table of the gateways
    /// (subnet, uplink, via, the other options, and the packets and bytes their NAT rules counted,
    /// one per new connection), then any drift. `verbose` adds each gateway's rules with their
    /// counters, as iptables-save prints them.
    ///
    /// ```
    /// ipv4: 2 gateways, net.ipv4.ip_forward = 1 (natgate set it; restores 0 when the last gateway goes)
    ///   SUBNET         UPLINK  VIA     OPTIONS          PACKETS  BYTES
    ///   10.200.1.0/24  eth0    v-eth1  -                      2    120
    ///   10.200.2.0/24  eth0    -       --inbound all          0      0
    /// ipv6: no gateways, net.ipv6.conf.all.forwarding = 0
    /// No drift: the kernel holds exactly what the gateways compile to.
    /// ```
    public func text(verbose: Bool) -> String {
        var text = ""
        if let backend { text += "backend: \(backend.name) (\(backend.reason))\n" }
        if let interruptedChange { text += "A change was interrupted: \(interruptedChange)\n" }
        for family in families {
            if let unreadable = family.unreadable {
                text += "\(family.family): tables not readable: \(unreadable)\n"
                continue
            }
            let forwarding = family.forwarding.value ?? "unreadable"
            let recorded = family.forwarding.recordedPrevious.map { " (natgate set it; restores \($0) when the last gateway goes)" } ?? ""
            let count = family.gateways.isEmpty ? "no gateways" : "\(family.gateways.count) gateway\(family.gateways.count == 1 ? "" : "s")"
            text += "\(family.family): \(count), \(family.forwarding.key) = \(forwarding)\(recorded)\n"
            if !family.gateways.isEmpty {
                text += Status.table(family.gateways)
            }
            if verbose {
                for gateway in family.gateways {
                    text += "  \(gateway.gateway)\n"
                    for table in gateway.rules {
                        text += "    *\(table.table)\n"
                        for rule in table.rules { text += "    \(rule)\n" }
                    }
                }
            }
            for drift in family.drift { text += "  drift: \(drift)\n" }
        }
        if !hasDrift { text += "No drift: the kernel holds exactly what the gateways compile to.\n" }
        if let nftables { text += nftables.description }
        return text
    }

    /// The gateways as aligned columns, indented by two spaces; numbers right-aligned.
    static func table(_ gateways: [GatewayStatus]) -> String {
        let header = ["SUBNET", "UPLINK", "VIA", "OPTIONS", "PACKETS", "BYTES"]
        let columns = header.count
        // The cells row by row in one array (header first): no array per row.
        var cells = header
        cells.reserveCapacity(columns * (gateways.count + 1))
        for status in gateways {
            let gateway = status.gateway
            cells.append(gateway.subnet.description)
            cells.append(gateway.uplink.description)
            cells.append(gateway.via?.description ?? "-")
            if gateway.inbound == .established, gateway.exclude.isEmpty, gateway.snatTo == nil, gateway.ports == nil, !gateway.randomFully {
                cells.append("-")  // no options but --via, which has its own column
            } else {
                var options = gateway.optionArguments
                if let via = options.firstIndex(of: "--via") { options.removeSubrange(via...(via + 1)) }
                cells.append(options.isEmpty ? "-" : options.joined(separator: " "))
            }
            cells.append(String(status.natPackets))
            cells.append(String(status.natBytes))
        }
        var widths = [Int](repeating: 0, count: columns)
        var lengths = [Int]()
        lengths.reserveCapacity(cells.count)
        for (index, cell) in cells.enumerated() {
            let length = cell.count
            lengths.append(length)
            widths[index % columns] = max(widths[index % columns], length)
        }
        let numeric = [false, false, false, false, true, true]
        // Built as UTF-8 bytes and made a String once: appending to a String cell by cell costs
        // more than the cells.
        var bytes: [UInt8] = []
        bytes.reserveCapacity((widths.reduce(0, +) + 2 * columns + 1) * (gateways.count + 1))
        for (index, cell) in cells.enumerated() {
            let column = index % columns
            let padding = widths[column] - lengths[index]
            if column == 0 { bytes.append(0x20) }
            bytes.append(0x20)
            func append(_ cell: String) {
                var cell = cell
                cell.withUTF8 { bytes.append(contentsOf: $0) }
            }
            if numeric[column] {
                for _ in 0..<padding { bytes.append(0x20) }
                append(cell)
            } else {
                append(cell)
                if column < columns - 1 { for _ in 0..<padding { bytes.append(0x20) } }
            }
            bytes.append(column < columns - 1 ? 0x20 : 0x0A)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension GatewayController {
    /// Reads the gateways, their rules and counters, forwarding and drift, changing nothing.
    ///
    /// - Parameter withRules: whether to fill each gateway's `rules` (its rules rendered as
    ///   iptables-save lines, what `natgate status -v` and `--json` print). Without them the
    ///   gateways, their NAT counters, forwarding and drift are the same, and reading 10,000
    ///   gateways costs a fifth less: the compact `natgate status` leaves them out.
    public func status(rules withRules: Bool = true) throws(NatgateError) -> Status {
        // Each read below enters the store's namespace (a thread per read, for a named one):
        // entered once here, they all run in place on one thread.
        let status: Result<Status, NatgateError>
        do {
            status = try store.inNamespace { Result { () throws(NatgateError) in try readStatus(rules: withRules) } }
        } catch {
            throw NatgateError(wrapping: error)
        }
        return try status.get()
    }

    private func readStatus(rules withRules: Bool) throws(NatgateError) -> Status {
        var families: [Status.FamilyStatus] = []
        var allSets: [String: IPSetContents]?
        for family in Family.allCases {
            let key = SysctlKey.forwarding(family)
            var status = Status.FamilyStatus(family: family, gateways: [], forwarding: Status.ForwardingStatus(key: key.description), drift: [])
            let forwardingState = try? store.inNamespace { () throws -> (String, ForwardingRecord?) in
                let value = try (forwarding?.sysctl ?? Sysctl()).read(key)
                return (value, try forwarding?.record())
            }
            status.forwarding.value = forwardingState?.0
            status.forwarding.recordedPrevious = forwardingState?.1?.changes[key]?.previous
            let tables: [TableName: Table]
            do {
                tables = try store.read(family, tables: OwnedChains.tables)
            } catch {
                // No IPv6 legacy tables is common and not an error unless gateways were asked for.
                status.unreadable = NatgateError(wrapping: error).message
                if family == .ipv4 { throw NatgateError(wrapping: error) }
                families.append(status)
                continue
            }
            var sets: [String: IPSetContents] = [:]
            if let ipSets = store.ipSets {
                // Every natgate set is listed once, for both families: a listing costs one
                // netlink dump per set, whatever the family asked for.
                if allSets == nil {
                    do { allSets = try ipSets.natgateSets() } catch { throw NatgateError(wrapping: error) }
                }
                sets = allSets!.filter { (GatewayShape.family(ofSet: $0.key) ?? .ipv4) == family }
            }
            let readback = compiler.read(family: family, filter: tables[.filter], nat: tables[.nat], sets: sets)
            status.drift = readback.drift.map(\.description)
            status.gateways.reserveCapacity(readback.gateways.count)
            // Gateways in sets share their shapes' rules: each shape's rules are rendered and
            // their counters summed once, not once per member.
            var shared: [SharedRules: (rules: [Status.TableRules], packets: UInt64, bytes: UInt64)] = [:]
            for gateway in readback.gateways {
                let key = readback.rules[gateway.key] == nil ? SharedRules(gateway) : nil
                if let key, let known = shared[key] {
                    status.gateways.append(Status.GatewayStatus(gateway: gateway, rules: known.rules, natPackets: known.packets, natBytes: known.bytes))
                    continue
                }
                let byTable = readback.rules(of: gateway)
                var ruleTables: [Status.TableRules] = []
                var packets: UInt64 = 0
                var bytes: UInt64 = 0
                for name in OwnedChains.tables.reversed() {
                    let rules = byTable[name] ?? []
                    guard !rules.isEmpty else { continue }
                    if withRules {
                        ruleTables.append(Status.TableRules(table: name, rules: rules.map { rule in
                        Status.RuleStatus(
                            counters: rule.counters,
                            line: rule.withoutCounters.saveLine(family: family, table: name, chain: OwnedChains.owned(in: name)!))
                        }))
                    }
                    for rule in rules {
                        if name == .nat, case .extension = rule.target, let counters = rule.counters {
                            packets += counters.packets
                            bytes += counters.bytes
                        }
                    }
                }
                if let key { shared[key] = (ruleTables, packets, bytes) }
                status.gateways.append(Status.GatewayStatus(gateway: gateway, rules: ruleTables, natPackets: packets, natBytes: bytes))
            }
            families.append(status)
        }
        var status = Status(backend: backend, families: families, nftables: nftablesStatus(for: families.flatMap { $0.gateways.map(\.gateway) }))
        if let log = store.intentLog {
            do {
                if let change = try store.inNamespace({ try log.interrupted() }) {
                    status.interruptedChange = "\(change) (by pid \(change.pid)) did not finish; the gateways may be part way. To complete it, \(change.advice)."
                }
            } catch {
                status.interruptedChange = NatgateError(wrapping: error).message
            }
        }
        return status
    }
}

/// What decides the shape rules a gateway in sets shares (`GatewayShape(filterOf:)` and
/// `GatewayShape(natOf:)`): gateways with equal keys have the same rules.
private struct SharedRules: Hashable {
    var family: Family
    var hasVia: Bool
    var inbound: Gateway.Inbound
    var exclude: [IPNetwork]
    var snatTo: IPAddress?
    var ports: PortRange?
    var randomFully: Bool

    init(_ gateway: Gateway) {
        family = gateway.family
        hasVia = gateway.via != nil
        inbound = gateway.inbound
        exclude = gateway.exclude
        snatTo = gateway.snatTo
        ports = gateway.ports
        randomFully = gateway.randomFully
    }
}

/// What the namespace's nf_tables ruleset does to the gateways: every nft base chain that drops,
/// rejects or re-NATs a gateway's traffic ahead of or regardless of natgate's legacy rules
/// (`NFTRuleset.findings(for:)` in NatgateNFTables). Both subsystems' hooks see every packet and a drop in either wins,
/// so a gateway blocked here gets no connectivity however right natgate's own rules are.
public struct NFTablesStatus: Sendable, Codable, Hashable, CustomStringConvertible {
    /// One blocker, in plain values for text and JSON.
    public struct Finding: Sendable, Codable, Hashable {
        /// The gateway's subnet (`10.200.1.0/24`).
        public var subnet: String
        /// The gateway's uplink.
        public var uplink: String
        /// The nft table's family (`ip`, `ip6`, `inet`).
        public var family: String
        /// The nft table's name.
        public var table: String
        /// The base chain that decides.
        public var chain: String
        /// The chain's hook (`forward`, `postrouting`).
        public var hook: String
        /// The chain's priority at its hook; lower runs first.
        public var priority: Int32
        /// The chain's policy (`accept`, `drop`).
        public var policy: String
        /// `drop`, `reject` or `nat` (the gateway's masquerading taken over).
        public var effect: String
        /// `certain`; `possible` when it depends on which interface the subnet is behind or on
        /// registration order; `some-traffic` when it depends on what natgate cannot evaluate about
        /// the packets (see `undecided`).
        public var certainty: String
        /// `policy`, or `rule handle N in chain NAME`.
        public var deciders: [String]
        /// The gateway's traffic it affects: `outbound`, `inbound` or both.
        public var directions: [String]
        /// What natgate could not evaluate about the packets (a mark, a set lookup), when `certainty`
        /// is `some-traffic`.
        public var undecided: [String]
        /// One sentence saying what the chain does to the gateway.
        public var summary: String
        /// What to change so that the gateway works.
        public var suggestion: String

        package init(
            subnet: String, uplink: String, family: String, table: String, chain: String, hook: String, priority: Int32, policy: String, effect: String, certainty: String, deciders: [String], directions: [String], undecided: [String], summary: String, suggestion: String
        ) {
            self.subnet = subnet
            self.uplink = uplink
            self.family = family
            self.table = table
            self.chain = chain
            self.hook = hook
            self.priority = priority
            self.policy = policy
            self.effect = effect
            self.certainty = certainty
            self.deciders = deciders
            self.directions = directions
            self.undecided = undecided
            self.summary = summary
            self.suggestion = suggestion
        }
    }

    /// The ruleset's generation id, when it could be read.
    public var generation: UInt32?
    /// The nft tables of the namespace, `FAMILY NAME` each (iptables-nft's among them).
    public var tables: [String]
    /// The chains that block or take over a gateway's traffic.
    public var findings: [Finding]
    /// Why the ruleset could not be read, if it could not.
    public var unreadable: String?

    package init(generation: UInt32?, tables: [String], findings: [Finding], unreadable: String?) {
        self.generation = generation
        self.tables = tables
        self.findings = findings
        self.unreadable = unreadable
    }

    /// Whether some nft chain drops, rejects or re-NATs a gateway's traffic as a whole, certainly or
    /// possibly; findings about only some of its traffic (`some-traffic`) do not count.
    public var blocksGateways: Bool { findings.contains { $0.certainty != "some-traffic" } }

    /// The `nftables` section of `natgate status`.
    public var description: String {
        if let unreadable { return "nftables: ruleset not readable: \(unreadable)\n" }
        var text = "nftables: \(tables.isEmpty ? "no tables" : "tables \(tables.joined(separator: ", "))")"
        if findings.isEmpty { return text + "; nothing there drops, rejects or re-NATs the gateways.\n" }
        text += "; \(findings.count) finding\(findings.count == 1 ? "" : "s") about the gateways:\n"
        for finding in findings {
            text += "  \(finding.subnet) \(finding.uplink): \(finding.summary)\n"
            text += "    what to do: \(finding.suggestion)\n"
        }
        return text
    }
}

extension GatewayController {
    /// What the nf_tables ruleset of the controller's namespace does to `gateways`
    /// (`RuleStore.nftablesStatus(for:)`); nil when the store's rules are not the kernel's.
    public func nftablesStatus(for gateways: [Gateway]) -> NFTablesStatus? { store.nftablesStatus(for: gateways) }
}

/// The backend a controller reads and writes (`legacy`: x_tables through libiptc; `nft`:
/// iptables-nft's tables in nf_tables), and why it was chosen.
public struct BackendStatus: Sendable, Codable, Hashable {
    /// `legacy` or `nft`.
    public var name: String
    /// Why: asked for (`--backend`, `NATGATE_BACKEND`), or what `auto` found.
    public var reason: String

    /// The backend `name` (`legacy` or `nft`), chosen for `reason`.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}
