import NatgateLab
import NatgateModel
import Testing
@testable import NatgatePolicy

/// `GatewaySet.init` sorts by integer keys and checks overlaps on slices for speed (issue #6); these
/// compare it with the straightforward algorithm it replaced, kept here as the oracle: the same
/// gateways in the same order, or the same error.
@Suite struct GatewaySetOrderTests {
    /// The previous `GatewaySet.init`: `sorted()`, neighbours deduplicated, then the conflict checks.
    static func oracle(_ gateways: [Gateway]) throws -> [Gateway] {
        var sorted: [Gateway] = []
        for gateway in gateways.sorted() where sorted.last != gateway { sorted.append(gateway) }
        for (previous, current) in zip(sorted, sorted.dropFirst()) where previous.subnet == current.subnet {
            if previous.uplink == current.uplink {
                throw PolicyError(
                    .conflict, input: current.key.description,
                    "Gateway \(current.key) is given twice with different options: '\(previous)' and '\(current)'. Keep one of them.")
            }
            throw PolicyError(
                .conflict, input: current.subnet.description,
                "Subnet \(current.subnet) is given through two uplinks, \(previous.uplink) and \(current.uplink): a subnet leaves by one uplink. Keep one (to move it, `natgate disable \(previous.key)` first).")
        }
        for family in Family.allCases {
            let networks = sorted.filter { $0.family == family }
            var widest: (gateway: Gateway, end: AddressBound)?
            var irregular: [Gateway] = []
            for gateway in networks {
                guard let range = gateway.subnet.addressRange else {
                    irregular.append(gateway)
                    continue
                }
                if let current = widest, range.start <= current.end { throw overlap(current.gateway, gateway) }
                if widest == nil || range.end > widest!.end { widest = (gateway, range.end) }
            }
            for gateway in irregular {
                if let other = networks.first(where: { $0.subnet != gateway.subnet && $0.subnet.overlaps(gateway.subnet) }) {
                    throw overlap(other, gateway)
                }
            }
        }
        return sorted
    }

    static func overlap(_ a: Gateway, _ b: Gateway) -> PolicyError {
        PolicyError(
            .conflict, input: "\(a.subnet) \(b.subnet)",
            "Subnets \(a.subnet) (uplink \(a.uplink)) and \(b.subnet) (uplink \(b.uplink)) overlap: each gateway needs a subnet of its own. Give the namespaces non-overlapping subnets, or disable one gateway first (`natgate disable \(a.key)`).")
    }

    /// A gateway from a small space, so that equal subnets, equal gateways and overlaps are common.
    static func smallGateway(_ random: inout SeededRandom) -> Gateway {
        let subnet: IPNetwork
        switch Int.random(in: 0..<8, using: &random) {
        case 0:
            // Non-contiguous masks, checked pairwise.
            let mask: UInt32 = [0xFF00_FF00, 0xFFFF_00FF, 0xF0F0_F0F0].randomElement(using: &random)!
            subnet = .v4(IPv4Network(masking: IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &random)), mask: mask))
        case 1, 2:
            let address = IPv6Address(high: 0xFD00_0000_0000_0000 | UInt64.random(in: 0...3, using: &random) << 40, low: 0)
            subnet = .v6(IPv6Network(masking: address, prefixLength: [24, 32, 48, 64].randomElement(using: &random)!))
        default:
            let address = IPv4Address(10, UInt8.random(in: 0...3, using: &random), UInt8.random(in: 0...3, using: &random) * 64, 0)
            subnet = .v4(IPv4Network(masking: address, prefixLength: [8, 16, 18, 24, 26].randomElement(using: &random)!))
        }
        do {
            return try Gateway(
                subnet: subnet, uplink: InterfaceName(valid: ["eth0", "eth1"].randomElement(using: &random)!),
                inbound: Gateway.Inbound.allCases.randomElement(using: &random)!, randomFully: Bool.random(using: &random))
        } catch {
            preconditionFailure("\(error)")
        }
    }

    @Test func sameOrderOrSameErrorAsTheOracle() throws {
        var random = SeededRandom(seed: 10_000)
        var outcomes = (sets: 0, errors: 0)
        for round in 0..<3_000 {
            let gateways = (0..<Int.random(in: 0...6, using: &random)).map { _ in Self.smallGateway(&random) }
            let given = Bool.random(using: &random) ? gateways + gateways.prefix(2) : gateways
            let expected = Result { try Self.oracle(given) }
            let actual = Result { try GatewaySet(given).gateways }
            switch (expected, actual) {
            case (.success(let a), .success(let b)):
                #expect(a == b, "round \(round)")
                let set = try GatewaySet(given)
                for family in Family.allCases {
                    #expect(set.gateways(of: family) == a.filter { $0.family == family }, "round \(round) \(family)")
                }
                outcomes.sets += 1
            case (.failure(let a as PolicyError), .failure(let b as PolicyError)):
                #expect(a == b, "round \(round)")
                outcomes.errors += 1
            default:
                Issue.record("round \(round): \(expected) but \(actual)")
            }
        }
        // Both outcomes were exercised.
        #expect(outcomes.sets > 300 && outcomes.errors > 300, "\(outcomes)")
    }

    @Test func manyDistinctSubnetsInAnyOrder() throws {
        var random = SeededRandom(seed: 7)
        let gateways = try (0..<2_000).map { index in
            try gateway("10.\(index >> 8).\(index & 0xFF).0/24", "eth0", randomFully: index % 3 == 0)
        } + (0..<500).map { index in try gateway("fd00:\(String(index, radix: 16))::/64", "eth1") }
        let expected = try Self.oracle(gateways)
        #expect(try GatewaySet(gateways).gateways == expected)
        #expect(try GatewaySet(gateways.reversed()).gateways == expected)
        #expect(try GatewaySet(gateways.shuffled(using: &random)).gateways == expected)
        #expect(try GatewaySet(expected).gateways == expected)
    }
}
