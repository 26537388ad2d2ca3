import Foundation
import Testing
@testable import NatgateModel

/// Mutated fixture lines: the parser must never crash, and whatever it accepts must format to a
/// fixed point (formatting the formatted text changes nothing).
@Suite struct SaveTextFuzzTests {
    /// Fragments that make the grammar's corners likely: quotes, escapes, negations, options of
    /// the typed extensions, counters, table and chain lines, non-ASCII and control bytes.
    static let dictionary: [String] = [
        "!", "\"", "\\", "\\\"", " ", "\t", "-", "--", "=", ",", ":", "/", "[", "]", "[0:0]", "[1:", "0x", "+",
        "-A", "-I", "-I INPUT 2", "-N", "-X", "-F", "-P", "-D", "-R", "-c", "-c 1 2", "-4", "-6", "-m", "-j", "-g",
        "-p", "-s", "-d", "-i", "-o", "-f", "tcp", "udp", "icmp", "ipv6-icmp", "all", "0", "255", "65536",
        "--dport", "--sport", "--dport=22", "--dpo", "--syn", "--tcp-flags", "--ctstate", "--comment", "--state",
        "-m comment --comment", "-m tcp", "-m conntrack", "-m foo", "-j DNAT", "-j MASQUERADE", "-j LOG",
        "--to-destination", "--to-source", "--to-ports", "--log-prefix", "--reject-with", "--set-xmark",
        "10.0.0.1", "10.0.0.0/8", "/255.255.0.0", "/33", "::1", "fd00::/64", "2001:db8::1/129", "[::1]:80",
        "1.2.3.4,5.6.7.8", "eth0", "veth+", "+", "ACCEPT", "DROP", "RETURN", "DOCKER", "COMMIT", "*nat",
        "*filter", ":X - [0:0]", ":INPUT DROP", "#", "é", "→", "\u{0}", "\u{7f}", "\r", "\u{FFFD}",
        String(repeating: "A", count: 40), String(repeating: "9", count: 25), "\"\"",
    ]

    static func mutate(_ line: String, using random: inout SaveTextRandom) -> String {
        var bytes = Array(line.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...8, using: &random))
                if position < end { bytes.removeSubrange(position..<end) }
            case 1:
                bytes.insert(contentsOf: Array(random.pick(dictionary).utf8), at: position)
            case 2:
                bytes.insert(contentsOf: Array((" " + random.pick(dictionary) + " ").utf8), at: position)
            case 3 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] = UInt8.random(in: 0...255, using: &random)
            case 4:
                // Words swapped: options out of order, arguments separated from their option.
                var words = String(decoding: bytes, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                if words.count > 2 {
                    let a = Int.random(in: 0..<words.count, using: &random)
                    let b = Int.random(in: 0..<words.count, using: &random)
                    words.swapAt(a, b)
                }
                bytes = Array(words.joined(separator: " ").utf8)
            default:
                let start = position
                let end = min(bytes.count, start + Int.random(in: 0...20, using: &random))
                bytes.insert(contentsOf: Array(bytes[start..<end]), at: start)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses, and when that succeeds checks the formatted text is a fixed point.
    static func exercise(_ text: String, family: Family) {
        guard let ruleset = try? Ruleset(saveText: text, family: family) else { return }
        let formatted = ruleset.saveText()
        do {
            let again = try Ruleset(saveText: formatted, family: family)
            #expect(again.saveText() == formatted, "not a fixed point:\n\(text)\n→\n\(formatted)")
        } catch {
            Issue.record("formatted text does not parse: \(error)\ninput:\n\(text)\nformatted:\n\(formatted)")
        }
    }

    @Test(arguments: HostFixtures.names)
    func mutatedFixtureLinesNeverCrashTheParser(name: String) throws {
        let family = HostFixtures.family(name)
        let lines = try HostFixtures.text(name, "rules").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var random = SaveTextRandom(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        for _ in 0..<500 {
            var mutated = lines
            let index = Int.random(in: 0..<mutated.count, using: &random)
            mutated[index] = Self.mutate(mutated[index], using: &random)
            // The table block around the mutated line (the whole file now and then), to keep the
            // run short.
            var first = index
            while first > 0, !mutated[first].hasPrefix("*") { first -= 1 }
            var last = index
            while last < mutated.count - 1, mutated[last] != "COMMIT" { last += 1 }
            let text = random.chance(10) ? mutated.joined(separator: "\n") : mutated[first...last].joined(separator: "\n")
            Self.exercise(text, family: random.chance(90) ? family : (family == .ipv4 ? .ipv6 : .ipv4))
            // The rule words alone, through Rule(saveArguments:).
            let words = mutated[index].split(separator: " ", maxSplits: 2).dropFirst(2).first.map(String.init) ?? mutated[index]
            if let rule = try? Rule(saveArguments: words, family: family) {
                let saved = rule.saveArguments(family: family)
                #expect((try? Rule(saveArguments: saved, family: family))?.saveArguments(family: family) == saved, "\(words) → \(saved)")
            }
        }
    }

    @Test func randomBytesNeverCrashTheParser() {
        var random = SaveTextRandom(seed: 0xF022)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...120, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if random.chance(50) { bytes = Array("*filter\n-A INPUT ".utf8) + bytes + Array("\nCOMMIT\n".utf8) }
            Self.exercise(String(decoding: bytes, as: UTF8.self), family: random.chance(50) ? .ipv4 : .ipv6)
            _ = try? Rule(saveArguments: String(decoding: bytes, as: UTF8.self), family: .ipv4)
        }
    }
}
