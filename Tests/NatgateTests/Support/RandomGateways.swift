import NatgateModel
import NatgatePolicy
import NatgateLab

/// Gateways with every option, in both families.
enum RandomGateways {
    static let uplinks = ["eth0", "wlan+", "e", "abcdefghijklmno", "x+", "ens3f0np0", "abcdefghijklmn+"]
    static let vias = ["v-eth1", "veth+", "v", "abcdefghijklmno", "p+"]

    static func network(_ family: Family, using random: inout SeededRandom) -> IPNetwork {
        switch family {
        case .ipv4:
            let address = IPv4Address(rawValue: UInt32.random(in: 1...UInt32.max, using: &random))
            if Int.random(in: 0..<12, using: &random) == 0 {
                // A mask that is not a prefix.
                return .v4(IPv4Network(masking: address, mask: 0xFF00_FF00))
            }
            let length = [1, 7, 8, 13, 16, 22, 24, 25, 29, 30, 31, 32].randomElement(using: &random)!
            return .v4(IPv4Network(masking: address, prefixLength: length))
        case .ipv6:
            let address = IPv6Address(high: UInt64.random(in: 1...UInt64.max, using: &random), low: random.next())
            let length = [1, 7, 16, 48, 56, 63, 64, 65, 96, 112, 126, 127, 128].randomElement(using: &random)!
            return .v6(IPv6Network(masking: address, prefixLength: length))
        }
    }

    static func address(_ family: Family, using random: inout SeededRandom) -> IPAddress {
        switch family {
        case .ipv4: .v4(IPv4Address(rawValue: UInt32.random(in: 1...UInt32.max, using: &random)))
        case .ipv6: .v6(IPv6Address(high: random.next(), low: random.next()))
        }
    }

    static func gateway(_ family: Family, using random: inout SeededRandom) -> Gateway? {
        let uplink = uplinks.randomElement(using: &random)!
        let via = Bool.random(using: &random) ? vias.randomElement(using: &random)! : nil
        let exclude = (0..<[0, 0, 1, 2, 3].randomElement(using: &random)!).map { _ in network(family, using: &random) }
        let snatTo = Bool.random(using: &random) ? address(family, using: &random) : nil
        var ports: PortRange?
        if Bool.random(using: &random) {
            let lower = UInt16.random(in: 1...65535, using: &random)
            ports = try? PortRange(lower: lower, upper: UInt16.random(in: lower...65535, using: &random))
        }
        return try? Gateway(
            subnet: network(family, using: &random), uplink: InterfaceName(valid: uplink), via: via.map { InterfaceName(valid: $0) },
            inbound: Bool.random(using: &random) ? .established : .all, exclude: exclude, snatTo: snatTo, ports: ports,
            randomFully: Bool.random(using: &random))
    }

    /// About `count` gateways of both families whose subnets do not overlap; several share a shape.
    static func set(count: Int, using random: inout SeededRandom) -> GatewaySet {
        var gateways: [Gateway] = []
        var attempts = 0
        while gateways.count < count, attempts < count * 20 {
            attempts += 1
            let family: Family = Bool.random(using: &random) ? .ipv4 : .ipv6
            guard var gateway = gateway(family, using: &random) else { continue }
            // Reuse an earlier gateway's shape now and then.
            if let earlier = gateways.filter({ $0.family == family }).randomElement(using: &random), Bool.random(using: &random),
               let same = try? Gateway(subnet: gateway.subnet, uplink: gateway.uplink, via: earlier.via == nil ? nil : gateway.via ?? earlier.via,
                                       inbound: earlier.inbound, exclude: earlier.exclude, snatTo: earlier.snatTo, ports: earlier.ports,
                                       randomFully: earlier.randomFully)
            {
                gateway = same
            }
            guard !gateways.contains(where: { $0.subnet.overlaps(gateway.subnet) }) else { continue }
            gateways.append(gateway)
        }
        return try! GatewaySet(gateways)
    }
}
