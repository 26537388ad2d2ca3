import NatgateLab
import Foundation
import NatgateModel
import Testing
@testable import NatgatePolicy

/// A random valid gateway using every option.
func randomGateway(_ random: inout SeededRandom) -> Gateway {
    let v6 = Int.random(in: 0..<4, using: &random) == 0
    func network(_ random: inout SeededRandom) -> IPNetwork {
        if v6 {
            let address = IPv6Address(high: 0xFD00_0000_0000_0000 | UInt64.random(in: 0...0xFFFF_FFFF_FFFF, using: &random), low: random.next())
            return .v6(IPv6Network(masking: address, prefixLength: Int.random(in: 8...128, using: &random)))
        }
        return .v4(IPv4Network(masking: IPv4Address(rawValue: UInt32.random(in: 1...UInt32.max, using: &random)), prefixLength: Int.random(in: 1...32, using: &random)))
    }
    let names = ["eth0", "eth1", "wlan+", "br-lan", "v-eth1", "veth.1", "ens3f0", "x_y", "abcdefghijklmno", "é"]
    let uplink = InterfaceName(valid: names.randomElement(using: &random)!)
    let via = Bool.random(using: &random) ? names.filter { $0 != uplink.rawValue }.randomElement(using: &random).map(InterfaceName.init(valid:)) : nil
    let snatTo: IPAddress? =
        Bool.random(using: &random)
        ? (v6 ? .v6(IPv6Address(high: random.next(), low: random.next())) : .v4(IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &random))))
        : nil
    let lower = UInt16.random(in: 1...65535, using: &random)
    let ports = Bool.random(using: &random) ? try! PortRange(lower: lower, upper: UInt16.random(in: lower...65535, using: &random)) : nil
    // Duplicates and disorder: the gateway sorts and deduplicates.
    var exclude = (0..<Int.random(in: 0...4, using: &random)).map { _ in network(&random) }
    if let first = exclude.first, Bool.random(using: &random) { exclude.append(first) }
    do {
        return try Gateway(
            subnet: network(&random), uplink: uplink, via: via, inbound: Gateway.Inbound.allCases.randomElement(using: &random)!,
            exclude: exclude, snatTo: snatTo, ports: ports, randomFully: Bool.random(using: &random))
    } catch {
        preconditionFailure("random gateway refused: \(error)")
    }
}
