import NatgateModel
import NatgatePolicy
import NatgateSysctl

/// What natgate finds in a namespace: its gateways and their rules, forwarding, and drift.
public struct Status: Sendable, Codable, CustomStringConvertible {
    /// One gateway as the kernel holds it.
    public struct GatewayStatus: Sendable, Codable {
        public var gateway: Gateway
        /// Its rules as iptables-save prints them, with counters, `*table` first.
        public var rules: [String]
        /// Packets and bytes its NAT rules (MASQUERADE or SNAT) have matched: new connections.
        public var natPackets: UInt64
        public var natBytes: UInt64
    }

    /// One family's part.
    public struct FamilyStatus: Sendable, Codable {
        public var family: Family
        public var gateways: [GatewayStatus]
        /// The forwarding sysctl and its value, nil when it could not be read.
        public var forwardingKey: String
        public var forwarding: String?
        /// The value natgate will put back when the family's last gateway goes, if it changed it.
        public var forwardingRecordedPrevious: String?
        /// Differences between the owned chains and what their gateways compile to.
        public var drift: [String]
        /// Why this family's tables could not be read, if they could not.
        public var unreadable: String?
    }

    public var families: [FamilyStatus]
    /// A change natgate began here and did not finish, with what to run, nil when there is none.
    /// The gateways above may then be neither those before it nor those it asked for.
    public var interruptedChange: String?

    /// Whether any family has drift.
    public var hasDrift: Bool { families.contains { !$0.drift.isEmpty } }

    public var description: String {
        var text = ""
        if let interruptedChange { text += "A change was interrupted: \(interruptedChange)\n" }
        for family in families {
            if let unreadable = family.unreadable {
                text += "\(family.family): tables not readable: \(unreadable)\n"
                continue
            }
            let forwarding = family.forwarding ?? "unreadable"
            let recorded = family.forwardingRecordedPrevious.map { " (natgate set it; restores \($0) when the last gateway goes)" } ?? ""
            text += "\(family.family): \(family.gateways.count) gateway\(family.gateways.count == 1 ? "" : "s"), \(family.forwardingKey) = \(forwarding)\(recorded)\n"
            for gateway in family.gateways {
                text += "  \(gateway.gateway)  [NAT: \(gateway.natPackets) packets, \(gateway.natBytes) bytes]\n"
                for rule in gateway.rules { text += "    \(rule)\n" }
            }
            for drift in family.drift { text += "  drift: \(drift)\n" }
        }
        if !hasDrift { text += "No drift: the kernel holds exactly what the gateways compile to.\n" }
        return text
    }
}

extension GatewayController {
    /// Reads the gateways, their rules and counters, forwarding and drift, changing nothing.
    public func status() throws(NatgateError) -> Status {
        var families: [Status.FamilyStatus] = []
        for family in Family.allCases {
            let key = SysctlKey.forwarding(family)
            var status = Status.FamilyStatus(family: family, gateways: [], forwardingKey: key.description, drift: [])
            let forwardingState = try? store.inNamespace { () throws -> (String, ForwardingRecord?) in
                let value = try (forwarding?.sysctl ?? Sysctl()).read(key)
                return (value, try forwarding?.record())
            }
            status.forwarding = forwardingState?.0
            status.forwardingRecordedPrevious = forwardingState?.1?.changes[key]?.previous
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
            let readback = compiler.read(family: family, filter: tables[.filter], nat: tables[.nat])
            status.drift = readback.drift.map(\.description)
            for gateway in readback.gateways {
                var lines: [String] = []
                var packets: UInt64 = 0
                var bytes: UInt64 = 0
                for name in OwnedChains.tables.reversed() {
                    let rules = readback.rules[gateway.key]?[name] ?? []
                    guard !rules.isEmpty else { continue }
                    lines.append("*\(name)")
                    for rule in rules {
                        lines.append(rule.saveLine(family: family, table: name, chain: OwnedChains.owned(in: name)!))
                        if name == .nat, case .extension = rule.target, let counters = rule.counters {
                            packets += counters.packets
                            bytes += counters.bytes
                        }
                    }
                }
                status.gateways.append(Status.GatewayStatus(gateway: gateway, rules: lines, natPackets: packets, natBytes: bytes))
            }
            families.append(status)
        }
        var status = Status(families: families)
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
