import Foundation
import NatgateModel
import NatgatePolicy

/// The workloads every suite measures: N default gateways, `10.A.B.0/24` through `eth0`.
///
/// Subnet `i` is `10.(i / 256).(i % 256).0/24`, the same numbering `Benchmarks/compare` uses, so the
/// package-benchmark suites and the side-by-side comparison measure the same rules: three per
/// gateway (two in filter's `NATGATE-FORWARD`, one MASQUERADE in nat's `NATGATE-POSTROUTING`).
public enum Workload {
    /// The sizes the issue asks for.
    public static let sizes = [1, 100, 1_000, 10_000]

    /// The uplink every gateway uses.
    public static let uplink = InterfaceName(valid: "eth0")

    /// Gateway `index` of the numbering above.
    public static func gateway(_ index: Int) -> Gateway {
        precondition(index >= 0 && index < 65_536, "the workload numbers at most 65,536 /24 subnets of 10.0.0.0/8")
        let address = IPv4Address(10, UInt8(index >> 8), UInt8(index & 0xFF), 0)
        do {
            return try Gateway(subnet: .v4(IPv4Network(masking: address, prefixLength: 24)), uplink: uplink)
        } catch {
            preconditionFailure("workload gateway \(index) was refused: \(error)")
        }
    }

    /// Gateways `0..<count`, unsorted (reversed), as a policy file might list them.
    public static func gateways(_ count: Int) -> [Gateway] {
        (0..<count).reversed().map(gateway)
    }

    /// The checked, sorted set of gateways `0..<count`.
    public static func gatewaySet(_ count: Int) -> GatewaySet {
        do {
            return try GatewaySet(gateways(count))
        } catch {
            preconditionFailure("workload of \(count) gateways was refused: \(error)")
        }
    }

    /// The policy file of gateways `0..<count` as `Benchmarks/compare` writes it for `natgate apply`:
    /// one line, `subnet` and `uplink` only, in index order.
    public static func policyFile(_ count: Int) -> Data {
        let gateways = (0..<count).map { index in
            "{\"subnet\": \"10.\(index >> 8).\(index & 0xFF).0/24\", \"uplink\": \"\(uplink)\"}"
        }
        return Data("{\"version\": 1, \"gateways\": [\(gateways.joined(separator: ", "))]}".utf8)
    }

    /// The filter and nat tables holding `count` gateways, as natgate installs them into tables
    /// the kernel just created.
    public static func tables(_ count: Int) -> [Table] {
        let set = gatewaySet(count)
        let compiler = GatewayCompiler()
        return OwnedChains.tables.map { name in
            var table = Table.empty(name, family: .ipv4)
            do {
                try compiler.install(set, into: &table)
            } catch {
                preconditionFailure("installing the workload into \(name) failed: \(error)")
            }
            return table
        }
    }

    /// `tables(count)` as one iptables-save text.
    public static func saveText(_ count: Int) -> String {
        Ruleset(family: .ipv4, tables: tables(count)).saveText()
    }
}
