import Testing
@testable import NatgateModel
import Foundation
import Glibc

/// Random values of limit, statistic, pkttype, mac, ttl, hl, iprange, recent, owner, physdev and
/// rt, restricted to what iptables-save prints back unchanged (and the kernel loads).
extension MatchValues {
    mutating func u32(_ range: ClosedRange<UInt32> = 0...UInt32.max) -> UInt32 { UInt32.random(in: range, using: &random) }

    mutating func limit() -> LimitMatch {
        let unit = LimitMatch.Rate.Unit.allCases.randomElement(using: &random)!
        var rate = try! LimitMatch.Rate(u32(1...(unit == .second ? 10000 : 100_000)), per: unit)
        // A printed rate can stand for a slightly different period: take the one it reads back as.
        while let again = try? LimitMatch.Rate(parsing: rate.description), again != rate { rate = again }
        var match = LimitMatch(rate: rate, burst: bool() ? LimitMatch.defaultBurst : u32(1...LimitMatch.maximumBurst))
        if (try? match.validate(context: ExtensionContext(family: .ipv4))) == nil { match.burst = 1 }
        return match
    }

    mutating func statistic() -> StatisticMatch {
        if bool() {
            return StatisticMatch(mode: .random(probability: u32(0...0x8000_0000)), inverted: bool())
        }
        let every = bool() ? u32(1...10) : u32(1...UInt32.max)
        return StatisticMatch(mode: .nth(every: every, packet: u32(0...(every - 1))), inverted: bool())
    }

    mutating func hopCount() -> HopCountCondition {
        HopCountCondition(mode: UInt8.random(in: 0...3, using: &random), value: UInt8.random(in: 0...255, using: &random))!
    }

    mutating func ipAddress(_ family: Family) -> IPAddress {
        switch family {
        case .ipv4: .v4(IPv4Address(rawValue: u32()))
        case .ipv6: .v6(IPv6Address(high: bool() ? 0 : random.next(), low: random.next()))
        }
    }

    mutating func ipRange(_ family: Family) -> IPRangeMatch {
        var match = IPRangeMatch()
        repeat {
            match.source = maybe { $0.negatable(try! IPRangeMatch.AddressRange(lower: $0.ipAddress(family), upper: $0.ipAddress(family))) }
            match.destination = maybe { $0.negatable(try! IPRangeMatch.AddressRange(lower: $0.ipAddress(family), upper: $0.ipAddress(family))) }
        } while match.source == nil && match.destination == nil
        return match
    }

    mutating func word(_ alphabet: String, length: ClosedRange<Int>) -> String {
        let characters = Array(alphabet)
        return String((0..<Int.random(in: length, using: &random)).map { _ in characters.randomElement(using: &random)! })
    }

    mutating func recent(_ family: Family) -> RecentMatch {
        var match = RecentMatch(command: RecentMatch.Command.allCases.randomElement(using: &random)!, inverted: bool())
        if match.command == .check || match.command == .update {
            // iptables-save prints seconds above 2^31 - 1 as negative numbers, which iptables cannot read.
            match.seconds = maybe { $0.u32(1...UInt32(Int32.max)) }
            match.reap = match.seconds != nil && bool()
            match.hitCount = maybe { $0.u32(1...RecentMatch.maximumHitCount) }
            match.matchTTL = bool()
        }
        var name = word("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", length: 1...40)
        if name == "." || name == ".." { name = "DEFAULT" }
        match.listName = bool() ? RecentMatch.defaultListName : name
        if bool() {
            let mask = ipAddress(family)
            match.mask = mask == RecentMatch.fullMask(family) ? nil : mask
        }
        match.side = bool() ? .source : .destination
        return match
    }

    mutating func idRange() -> OwnerMatch.IDRange {
        let a = u32(0...OwnerMatch.maximumID), b = u32(0...OwnerMatch.maximumID)
        return bool() ? OwnerMatch.IDRange(a) : OwnerMatch.IDRange(lower: min(a, b), upper: max(a, b))
    }

    mutating func owner() -> OwnerMatch {
        var match = OwnerMatch()
        repeat {
            match.socketExists = maybe { $0.bool() }
            match.uid = maybe { $0.negatable($0.idRange()) }
            match.gid = maybe { $0.negatable($0.idRange()) }
        } while match.socketExists == nil && match.uid == nil && match.gid == nil
        match.supplementaryGroups = match.gid != nil && bool()
        return match
    }

    mutating func interfaceName() -> InterfaceName {
        var name = word("abcdefghijklmnopqrstuvwxyz0123456789.-_", length: 1...14)
        if bool() { name += "+" }
        return try! InterfaceName(name)
    }

    mutating func physdev() -> PhysdevMatch {
        var match = PhysdevMatch()
        repeat {
            match.inInterface = maybe { $0.negatable($0.interfaceName()) }
            match.outInterface = maybe { $0.negatable($0.interfaceName()) }
            match.isIn = maybe { $0.bool() }
            match.isOut = maybe { $0.bool() }
            match.isBridged = maybe { $0.bool() }
        } while match == PhysdevMatch()
        return match
    }

    mutating func routingHeader() -> RoutingHeaderMatch {
        var match = RoutingHeaderMatch()
        repeat {
            match.type = maybe { $0.bool() ? Negatable(0) : $0.negatable($0.u32()) }
            match.segmentsLeft = maybe {
                let range = $0.bool() ? RoutingHeaderMatch.SegmentsRange($0.u32()) : RoutingHeaderMatch.SegmentsRange(lower: $0.u32(), upper: $0.u32())
                return $0.negatable(range == .all ? RoutingHeaderMatch.SegmentsRange(1) : range)
            }
            match.length = maybe { $0.negatable($0.u32()) }
        } while match == RoutingHeaderMatch()
        if match.type == Negatable(0) {
            match.reservedZero = bool()
            match.addresses = maybe { values in (0..<Int.random(in: 1...16, using: &values.random)).map { _ in IPv6Address(high: values.random.next(), low: values.random.next()) } }
            match.notStrict = match.addresses != nil && bool()
        }
        return match
    }

    /// One rule holding a random selection of these matches (ttl for IPv4, hl and rt for IPv6).
    mutating func hostRule(_ family: Family) -> Rule {
        var matches: [Match] = []
        repeat {
            if bool() { matches.append(Match(limit())) }
            if bool() { matches.append(Match(statistic())) }
            if bool() { matches.append(Match(PacketTypeMatch(.init(rawValue: Int32.random(in: 0...3, using: &random)), negated: bool()))) }
            if bool() { matches.append(Match(MacMatch(source: MACAddress(bytes: (0..<6).map { _ in UInt8.random(in: 0...255, using: &random) }), negated: bool()))) }
            if bool() { matches.append(family == .ipv4 ? Match(TTLMatch(hopCount())) : Match(HopLimitMatch(hopCount()))) }
            if bool() { matches.append(Match(ipRange(family))) }
            if bool() { matches.append(Match(recent(family))) }
            if bool() { matches.append(Match(owner())) }
            if bool() { matches.append(Match(physdev())) }
            if family == .ipv6 && bool() { matches.append(Match(routingHeader())) }
        } while matches.isEmpty
        return Rule(matches: matches, target: bool() ? .accept : nil)
    }
}
