import NatgateModel
import NatgatePolicy
import NatgateLab

/// Gateways over a few subnets, so that operations on them collide: the same subnet through another
/// uplink, options changing, exclusions and SNAT coming and going.
enum CollidingGateways {
    static func gateway(_ family: Family, using rng: inout SeededRandom) throws -> Gateway {
        let index = Int.random(in: 0..<6, using: &rng)
        let subnet = try IPNetwork(family == .ipv4 ? "10.210.\(index).0/24" : "fd00:210:\(index)::/64")
        let uplink = try InterfaceName(["eth0", "eth1", "wlan+"].randomElement(using: &rng)!)
        let via = Bool.random(using: &rng) ? try InterfaceName("v-\(index)") : nil
        let exclude = Bool.random(using: &rng) ? [try IPNetwork(family == .ipv4 ? "192.168.0.0/16" : "fd00:ffff::/32")] : []
        let snat = Int.random(in: 0..<3, using: &rng) == 0 ? try IPAddress(family == .ipv4 ? "203.0.113.\(index + 1)" : "2001:db8::\(index + 1)") : nil
        let ports = Int.random(in: 0..<3, using: &rng) == 0 ? try PortRange(lower: 1024, upper: 65535) : nil
        return try Gateway(
            subnet: subnet, uplink: uplink, via: via, inbound: Bool.random(using: &rng) ? .established : .all,
            exclude: exclude, snatTo: snat, ports: ports, randomFully: Int.random(in: 0..<4, using: &rng) == 0)
    }
}
