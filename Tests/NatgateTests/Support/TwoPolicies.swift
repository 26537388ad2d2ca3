import Foundation
import NatgateModel
import NatgatePolicy

/// Two policies of the same size that overlap by half: going from one to the other adds, removes
/// and (with `inbound`) changes gateways, the change that takes three commits.
enum TwoPolicies {
    static func gateways(from first: Int, count: Int, inbound: Gateway.Inbound = .established) throws -> [Gateway] {
        try (first..<(first + count)).map { index in
            try Gateway(subnet: IPNetwork("10.\(100 + index / 250).\(index % 250).0/24"), uplink: InterfaceName("eth0"), inbound: inbound)
        }
    }

    static func a(_ count: Int) throws -> GatewaySet { try GatewaySet(gateways(from: 0, count: count)) }

    /// The second half of `a`, its first quarter with other options, and as many new ones.
    static func b(_ count: Int) throws -> GatewaySet {
        let kept = try gateways(from: count / 2, count: count / 2)
        let changed = try gateways(from: count / 2, count: count / 4, inbound: .all)
        let changedKeys = Set(changed.map(\.key))
        return try GatewaySet(changed + kept.filter { !changedKeys.contains($0.key) } + gateways(from: count, count: count / 2))
    }

    static func file(_ set: GatewaySet) throws -> Data { try PolicyFile(gateways: set.gateways).encoded() }
}
