import Testing
@testable import NatgateModel
import Glibc
import NatgateLab

/// Random rules with each typed target, restricted to values whose text form iptables-save prints
/// back unchanged (see docs/extensions.md, "what iptables-save itself does not print").
struct TargetValues {
    var random: SeededRandom

    mutating func bool() -> Bool { Bool.random(using: &random) }
    mutating func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &random) }
    mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &random)! }

    mutating func ports() -> PortRange {
        let a = UInt16.random(in: 0...65535, using: &random)
        if bool() { return PortRange(a) }
        let b = UInt16.random(in: 0...65535, using: &random)
        return try! PortRange(lower: min(a, b), upper: max(a, b))
    }

    mutating func address(_ family: Family) -> IPAddress {
        family == .ipv4 ? .v4(IPv4Address(rawValue: u32())) : .v6(IPv6Address(high: random.next(), low: random.next()))
    }

    mutating func natRange(_ family: Family, ports allowed: Bool, base: Bool) -> NATRange {
        var range = NATRange()
        repeat {
            if bool() {
                let first = address(family)
                range.addresses = NATRange.AddressRange(first: first, last: bool() ? first : address(family))
            }
            if allowed, bool() {
                let ports = ports()
                range.ports = ports
                if base, !ports.isSinglePort, bool() { range.portBase = UInt16.random(in: 1...65535, using: &random) }
            }
        } while range.addresses == nil && range.ports == nil
        return range
    }

    /// A rule with a random target, and the table and chain it may stand in.
    mutating func rule(_ family: Family) -> (Rule, TableName, ChainName) {
        let proto: IPProtocol? = pick([nil, .tcp, .udp, .sctp, .icmp])
        let ports = NATRange.allowsPorts(proto)
        var matches: [Match] = []
        let target: any TargetExtension
        var table = TableName.filter
        var chain = ChainName.input
        switch Int.random(in: 0..<12, using: &random) {
        case 0:
            target = MasqueradeTarget(ports: ports && bool() ? self.ports() : nil, random: bool(), randomFully: bool())
            (table, chain) = (.nat, .postrouting)
        case 1:
            target = SNATTarget(source: natRange(family, ports: ports, base: false), random: bool(), randomFully: bool(), persistent: bool())
            (table, chain) = (.nat, pick([.postrouting, .input]))
        case 2:
            target = DNATTarget(destination: natRange(family, ports: ports, base: true), random: bool(), persistent: bool())
            (table, chain) = (.nat, pick([.prerouting, .output]))
        case 3:
            target = RedirectTarget(ports: ports && bool() ? self.ports() : nil, random: bool())
            (table, chain) = (.nat, pick([.prerouting, .output]))
        case 4:
            let type: RejectTarget.RejectType =
                family == .ipv4
                ? .ipv4(pick(RejectTarget.IPv4Type.allCases.filter { proto == .tcp || $0 != .tcpReset }))
                : .ipv6(pick(RejectTarget.IPv6Type.allCases.filter { proto == .tcp || $0 != .tcpReset }))
            target = RejectTarget(with: type)
            chain = pick([.input, .forward, .output])
        case 5:
            let prefix = String((0..<Int.random(in: 0...29, using: &random)).map { _ in pick(Array("ab Z9-_:\"'\\./")) })
            let flags = LogTarget.Flags(rawValue: UInt8.random(in: 0...0x3F, using: &random) & 0x2F)
            target = LogTarget(level: UInt8.random(in: 0...7, using: &random), prefix: prefix, flags: flags)
            (table, chain) = (pick(TableName.allCases), .output)
        case 6:
            target = MarkTarget(MarkTarget.XMark(value: u32(), mask: u32()))
            (table, chain) = (pick(TableName.allCases), .output)
        case 7:
            let bits = bool() ? UInt8.random(in: 1...32, using: &random) : 0
            let direction: ConnmarkTarget.ShiftDirection = bits == 0 ? .left : pick([.left, .right])
            if bool() {
                target = ConnmarkTarget(mode: .set, ctmark: u32(), ctmask: u32(), shiftDirection: direction, shiftBits: bits)
            } else {
                target = ConnmarkTarget(mode: pick([.save, .restore]), ctmark: 0, ctmask: u32(), nfmask: u32(), shiftDirection: direction, shiftBits: bits)
            }
            (table, chain) = (.mangle, .prerouting)
        case 8:
            target = ChecksumTarget(fill: true)
            (table, chain) = (.mangle, .postrouting)
        case 9:
            matches.append(Match(UnknownMatch(name: "tcp", words: ["--tcp-flags", "SYN,RST", "SYN"])))
            let maximum = TCPMSSTarget.maximumMSS(for: family)
            target = TCPMSSTarget(bool() ? .clampToPMTU : .mss(UInt16.random(in: 0...maximum, using: &random)))
            (table, chain) = (.mangle, .forward)
            return (Rule(ipProtocol: Negatable(.tcp), matches: matches, target: .extension(Target(target))), table, chain)
        case 10:
            let names = ["ftp", "tftp", "sip", "irc", "amanda"]
            let fromMark = bool()
            let zone: UInt16 = fromMark || bool() ? 0 : UInt16.random(in: 1...65535, using: &random)
            let directions: CTTarget.ZoneDirections = fromMark || zone != 0 ? pick([[], .original, .reply]) : []
            target = CTTarget(
                notrack: bool(), helper: bool() ? pick(names) : "", timeout: "",
                events: CTTarget.Events(rawValue: UInt32.random(in: 0...0x3FF, using: &random)),
                expectationEvents: bool() ? .new : [], zone: zone, zoneFromMark: fromMark, zoneDirections: directions)
            (table, chain) = (.raw, pick([.prerouting, .output]))
        default:
            target = NotrackTarget()
            (table, chain) = (.raw, pick([.prerouting, .output]))
        }
        return (Rule(ipProtocol: proto.map { Negatable($0) }, matches: matches, target: .extension(Target(target))), table, chain)
    }
}
