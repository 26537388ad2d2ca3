import Testing
@testable import NatgateModel
import Foundation
import Glibc
import NatgateLab

/// Random values of the typed matches, restricted to what iptables-save can print back unchanged.
struct MatchValues {
    var random: SeededRandom

    mutating func bool() -> Bool { Bool.random(using: &random) }
    mutating func maybe<T>(_ make: (inout MatchValues) -> T) -> T? { bool() ? make(&self) : nil }
    mutating func negatable<T>(_ value: T) -> Negatable<T> { Negatable(value, negated: bool()) }

    mutating func portRange(fullAllowed: Bool = true) -> PortRange {
        let a = UInt16.random(in: 0...65535, using: &random)
        if bool() { return PortRange(a) }
        let b = UInt16.random(in: 0...65535, using: &random)
        let range = try! PortRange(lower: min(a, b), upper: max(a, b))
        return !fullAllowed && range.lower == 0 && range.upper == 65535 ? PortRange(a) : range
    }

    mutating func options<S: OptionSet>(_ all: [S], nonEmpty: Bool) -> S where S.Element == S {
        var set = S()
        repeat {
            for flag in all where bool() { set.formUnion(flag) }
        } while nonEmpty && set.isEmpty
        return set
    }

    mutating func address(_ family: Family) -> ConntrackMatch.Address {
        switch family {
        case .ipv4: try! ConntrackMatch.Address(.v4(IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &random))), prefixLength: Int.random(in: 0...32, using: &random))
        case .ipv6: try! ConntrackMatch.Address(.v6(IPv6Address(high: random.next(), low: random.next())), prefixLength: Int.random(in: 0...128, using: &random))
        }
    }

    mutating func conntrack(_ family: Family) -> ConntrackMatch {
        var match = ConntrackMatch()
        repeat {
            let states: [ConntrackStates] = [.invalid, .new, .related, .established, .untracked, .snat, .dnat]
            match.states = maybe { $0.negatable($0.options(states, nonEmpty: true)) }
            match.l4Protocol = maybe { $0.negatable(IPProtocol(number: UInt8.random(in: 0...255, using: &$0.random))) }
            match.originalSource = maybe { $0.negatable($0.address(family)) }
            match.originalDestination = maybe { $0.negatable($0.address(family)) }
            match.replySource = maybe { $0.negatable($0.address(family)) }
            match.replyDestination = maybe { $0.negatable($0.address(family)) }
            match.originalSourcePort = maybe { $0.negatable($0.portRange()) }
            match.originalDestinationPort = maybe { $0.negatable($0.portRange()) }
            match.replySourcePort = maybe { $0.negatable($0.portRange()) }
            match.replyDestinationPort = maybe { $0.negatable($0.portRange()) }
            match.status = maybe { $0.negatable($0.options([.expected, .seenReply, .assured, .confirmed], nonEmpty: false)) }
            match.expires = maybe {
                let a = UInt32.random(in: 0...UInt32.max, using: &$0.random), b = UInt32.random(in: 0...UInt32.max, using: &$0.random)
                return $0.negatable(min(a, b)...max(a, b))
            }
            match.direction = maybe { $0.bool() ? .original : .reply }
        } while match == ConntrackMatch()
        return match
    }

    mutating func tcp() -> TCPMatch {
        var match = TCPMatch()
        match.sourcePort = maybe { $0.negatable($0.portRange(fullAllowed: false)) }
        match.destinationPort = maybe { $0.negatable($0.portRange(fullAllowed: false)) }
        match.option = maybe { $0.negatable(UInt8.random(in: 1...255, using: &$0.random)) }
        match.flags = maybe {
            let all: [TCPFlags] = [.fin, .syn, .rst, .psh, .ack, .urg]
            let negated = $0.bool()
            let test = TCPFlagTest(mask: $0.options(all, nonEmpty: !negated), comparison: $0.options(all, nonEmpty: false))
            return Negatable(test, negated: negated)
        }
        return match
    }

    mutating func icmpType(any: Bool) -> ICMPType {
        let type = UInt8.random(in: 0...(any ? 254 : 255), using: &random)
        if any && bool() && bool() { return .any }
        return bool() ? ICMPType(type: type) : ICMPType(type: type, code: UInt8.random(in: 0...255, using: &random))
    }

    mutating func multiport() -> MultiportMatch {
        var ports: [PortRange] = []
        var slots = 0
        let wanted = Int.random(in: 1...15, using: &random)
        while slots < wanted {
            let a = UInt16.random(in: 0...65534, using: &random)
            if slots + 2 <= 15 && bool() {
                ports.append(try! PortRange(lower: a, upper: UInt16.random(in: (a + 1)...65535, using: &random)))
                slots += 2
            } else {
                ports.append(PortRange(a))
                slots += 1
            }
        }
        return MultiportMatch(MultiportMatch.Direction.allCases.randomElement(using: &random)!, ports: ports, negated: bool())
    }

    mutating func addrtype(_ family: Family) -> AddrtypeMatch {
        let all: [AddressTypes] = AddressTypes.names.map(\.1).filter { family == .ipv4 || AddressTypes.notInIPv6.intersection($0).isEmpty }
        var match = AddrtypeMatch()
        repeat {
            match.sourceTypes = maybe { $0.negatable($0.options(all, nonEmpty: true)) }
            match.destinationTypes = maybe { $0.negatable($0.options(all, nonEmpty: true)) }
        } while match.sourceTypes == nil && match.destinationTypes == nil
        if bool() { if bool() { match.limitToInInterface = true } else { match.limitToOutInterface = true } }
        return match
    }

    mutating func mark() -> MarkPattern {
        MarkPattern(UInt32.random(in: 0...UInt32.max, using: &random), mask: bool() ? .max : UInt32.random(in: 0...UInt32.max, using: &random))
    }

    mutating func comment() -> CommentMatch {
        let alphabet = Array("abcXYZ019 _-\"'\\$`!#:/.,éü語\t")
        let length = Int.random(in: 0...60, using: &random)
        return try! CommentMatch(String((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
    }

    /// One rule holding a random selection of this branch's matches, with the `-p` they need.
    mutating func rule(_ family: Family) -> Rule {
        var matches: [Match] = []
        let proto: IPProtocol
        switch Int.random(in: 0...3, using: &random) {
        case 0:
            proto = .tcp
            matches.append(Match(tcp()))
            if bool() { matches.append(Match(multiport())) }
        case 1:
            proto = .udp
            var udp = UDPMatch()
            udp.sourcePort = maybe { $0.negatable($0.portRange(fullAllowed: false)) }
            udp.destinationPort = maybe { $0.negatable($0.portRange(fullAllowed: false)) }
            matches.append(Match(udp))
        case 2:
            proto = family == .ipv4 ? .icmp : .icmpv6
            matches.append(family == .ipv4
                ? Match(ICMPMatch(icmpType(any: true), negated: bool()))
                : Match(ICMPv6Match(icmpType(any: false), negated: bool())))
        default:
            proto = .sctp
            matches.append(Match(multiport()))
        }
        if bool() { matches.append(Match(conntrack(family))) }
        if bool() { matches.append(Match(StateMatch(states: options([.invalid, .new, .related, .established, .untracked], nonEmpty: true), negated: bool()))) }
        if bool() { matches.append(Match(addrtype(family))) }
        if bool() { matches.append(Match(MarkMatch(mark(), negated: bool()))) }
        if bool() { matches.append(Match(ConnmarkMatch(mark(), negated: bool()))) }
        if bool() { matches.append(Match(comment())) }
        return Rule(ipProtocol: Negatable(proto), matches: matches, target: .accept)
    }
}
