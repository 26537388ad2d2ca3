import Foundation
import Testing
import NatgateLab

/// `natgate export` and `natgate --version`, run as the built binary.
@Suite struct ExportCommandTests {
    static let kernel = Testing.ConditionTrait.enabled(
        if: ThrowawayNamespace.isSupported && NatgateBinary.url != nil,
        Comment(rawValue: ThrowawayNamespace.unsupportedReason ?? "natgate is not built"))

    /// Gateways of both families, between them every option `enable` takes.
    static let gateways: [[String]] = [
        ["10.200.1.0/24", "eth0", "--via", "v-eth1", "--exclude", "10.0.0.0/8", "--exclude", "192.168.0.0/16"],
        ["10.200.2.0/24", "wlan+", "--inbound", "all", "--snat-to", "198.51.100.2", "--ports", "1024-65535", "--random-fully"],
        ["fd00:200:1::/64", "eth0", "--snat-to", "2001:db8::2", "--ports", "2000-3000"],
        ["fd00:200:2::/64", "eth1", "--via", "v-eth2", "--inbound", "all", "--exclude", "fd00::/8", "--random-fully"],
    ]

    static func natgate(_ arguments: [String], in scratch: ThrowawayNamespace, input: String? = nil) throws -> NatgateBinary.Result {
        try NatgateBinary.run(arguments + ["--netns", scratch.name], input: input)
    }

    /// Both families' tables without counters, as iptables-legacy-save prints them.
    static func tables(_ scratch: ThrowawayNamespace) throws -> String {
        let text = try scratch.shell("iptables-legacy-save; ip6tables-legacy-save")
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.replacingOccurrences(of: #"\[\d+:\d+\]"#, with: "[0:0]", options: .regularExpression) }
            .joined(separator: "\n")
    }

    @Test("export prints a policy that apply reproduces exactly, both families, every option", kernel)
    func exportThenApplyReproducesTheTables() throws {
        try ThrowawayNamespace.with { scratch in
            for gateway in Self.gateways {
                let enable = try Self.natgate(["enable", "--no-sysctl"] + gateway, in: scratch)
                try #require(enable.status == 0, "\(enable.error)")
            }
            let before = try Self.tables(scratch)
            let export = try Self.natgate(["export"], in: scratch)
            try #require(export.status == 0, "\(export.error)")
            #expect(export.output.contains("\"randomFully\" : true"))

            #expect(try Self.natgate(["flush", "--no-sysctl"], in: scratch).status == 0)
            #expect(try Self.tables(scratch) != before)
            let apply = try Self.natgate(["apply", "--no-sysctl", "-"], in: scratch, input: export.output)
            #expect(apply.status == 0, "\(apply.error)")
            #expect(try Self.tables(scratch) == before)
            #expect(try Self.natgate(["export"], in: scratch).output == export.output)
            _ = try Self.natgate(["flush", "--no-sysctl"], in: scratch)
        }
    }

    @Test("export refuses, printing nothing, when natgate's chains have drift", kernel)
    func exportRefusesOnDrift() throws {
        try ThrowawayNamespace.with { scratch in
            #expect(try Self.natgate(["enable", "--no-sysctl", "10.200.1.0/24", "eth0"], in: scratch).status == 0)
            try scratch.shell("iptables-legacy -D FORWARD -j NATGATE-FORWARD")
            let export = try Self.natgate(["export"], in: scratch)
            #expect(export.status == 1)
            #expect(export.output.isEmpty)
            #expect(export.error.contains("drift"))
            _ = try Self.natgate(["flush", "--no-sysctl"], in: scratch)
        }
    }

    @Test("export of a namespace without gateways is a policy without gateways", kernel)
    func exportOfNothing() throws {
        try ThrowawayNamespace.with { scratch in
            let export = try Self.natgate(["export"], in: scratch)
            #expect(export.status == 0, "\(export.error)")
            #expect(export.output.contains("\"gateways\" : [\n\n  ]"))
        }
    }

    @Test("--version prints one semantic version")
    func version() throws {
        guard NatgateBinary.url != nil else { return }
        let result = try NatgateBinary.run(["--version"])
        #expect(result.status == 0)
        #expect(result.output.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(result.output)")
    }
}
