import Foundation
import Testing
import NatgateEngine
import NatgateLab

/// Every `--json` document the built binary prints, for every verb and for errors, validated
/// against docs/natgate-output.schema.json; and the schema refuses those documents with one more
/// key anywhere, so an output that grows a field the schema does not describe fails here.
@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct OutputSchemaCLITests {
    /// A policy with every gateway option, in both families.
    static let policy = #"""
        {
          "version": 1,
          "gateways": [
            { "subnet": "10.200.1.0/24", "uplink": "eth0", "via": "v-eth1" },
            { "subnet": "10.200.2.0/24", "uplink": "eth0", "inbound": "all", "exclude": ["10.0.0.0/8"],
              "snatTo": "198.51.100.2", "ports": "1024-65535", "randomFully": true },
            { "subnet": "fd00:200:1::/64", "uplink": "eth0" }
          ]
        }
        """#

    /// One run of the binary: the schema definition its document should follow, and the document
    /// (standard output's, or for `error` the last line of standard error).
    struct Output {
        var arguments: [String]
        var definition: String
        var status: Int32
        var document: Any
    }

    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built"))
    func everyVerbsJSONAndEveryErrorFollowTheSchema() throws {
        try Scratch.with { scratch in
            try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
            let policy = scratch.state + "/policy.json"
            try Data(Self.policy.utf8).write(to: URL(fileURLWithPath: policy))
            // An nftables chain that drops forwarded traffic, so that status has findings.
            let nft = try scratch.namespace.run(["nft", "-f", "-"], input: "table inet blocker {\n  chain forward {\n    type filter hook forward priority 0; policy drop;\n  }\n}\n")
            #expect(nft.status == 0, "\(nft.standardError)")

            var outputs: [Output] = []
            func run(_ arguments: [String], _ definition: String, status expected: Int32 = 0, unprivileged: Bool = false) throws {
                let result = try scratch.natgate(
                    arguments, environment: ["NATGATE_STATE_DIRECTORY": scratch.state, "NATGATE_BACKEND": "legacy"],
                    prefix: unprivileged ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [])
                #expect(result.status == expected, "natgate \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
                let text = definition == "error"
                    ? String(result.standardError.split(separator: "\n").last ?? "") : result.standardOutput
                let document = try #require(
                    try? JSONSerialization.jsonObject(with: Data(text.utf8)), "natgate \(arguments.joined(separator: " ")) printed no JSON: \(text)")
                outputs.append(Output(arguments: arguments, definition: definition, status: result.status, document: document))
            }

            try run(["plan", "enable", "10.200.9.0/24", "eth0", "--json"], "plan")
            try run(["enable", "10.200.9.0/24", "eth0", "--json"], "report")
            try run(["enable", "10.200.9.0/24", "eth0", "--json"], "report")
            try run(["plan", "apply", policy, "--json"], "plan")
            try run(["apply", policy, "--json"], "report")
            try run(["status", "--json"], "status")
            // The nftables chain drops the gateways' traffic, and nothing drifted.
            try run(["status", "--check", "--json"], "status", status: 4)
            try run(["plan", "disable", "10.200.1.0/24", "eth0", "--json"], "plan")
            try run(["disable", "10.200.1.0/24", "eth0", "--json"], "report")
            try run(["disable", "10.200.77.0/24", "eth0", "--json"], "report")
            // Drift: a rule natgate's gateways do not compile to.
            _ = try scratch.namespace.shell("iptables-legacy -A NATGATE-FORWARD -j ACCEPT")
            try run(["status", "--check", "--json"], "status", status: 1)
            try run(["export", "--json"], "error", status: 1)
            try run(["plan", "flush", "--json"], "plan")
            try run(["flush", "--json"], "report")
            try run(["status", "--json"], "status", status: 0)
            try run(["enable", "10.200.1.0", "eth0", "--json"], "error", status: 2)
            try run(["apply", scratch.state + "/missing.json", "--json"], "error", status: 2)
            try run(["status", "--json"], "error", status: 3, unprivileged: true)
            try run(["enable", "10.200.1.0/24", "--json"], "error", status: 64)
            try run(["status", "--json", "--no-such-option"], "error", status: 64)

            let errors = try OutputSchema.errors(outputs.map { ($0.definition, $0.document) })
            for (output, errors) in zip(outputs, errors) {
                #expect(errors.isEmpty, "natgate \(output.arguments.joined(separator: " ")) as \(output.definition): \(errors)")
                let document = output.document as? [String: Any]
                #expect(document?["schemaVersion"] as? Int == OutputEnvelope.schemaVersion)
                #expect(document?["version"] as? String == NatgateVersion.current)
                if output.definition == "error" {
                    #expect((document?["error"] as? [String: Any])?["exitCode"] as? Int == Int(output.status), "\(output.arguments)")
                }
            }
            // The outputs cover what the schema describes: forwarding changes, findings, drift,
            // rules with counters.
            let reports = outputs.filter { $0.definition == "report" }.compactMap { $0.document as? [String: Any] }
            let actions = Set(reports.flatMap { ($0["forwarding"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String } })
            #expect(actions == ["set", "restored"])
            let status = try #require(outputs.first { $0.arguments == ["status", "--json"] }?.document as? [String: Any])
            #expect(((status["nftables"] as? [String: Any])?["findings"] as? [Any])?.isEmpty == false)

            // One key more anywhere in any kind of document, and the schema refuses it.
            var seen: Set<String> = []
            var variants: [(definition: String, document: Any)] = []
            var paths: [String] = []
            for output in outputs where seen.insert(output.arguments.joined(separator: " ")).inserted {
                for (path, variant) in OutputSchema.withAnUnknownKey(output.document) {
                    variants.append((output.definition, variant))
                    paths.append("natgate \(output.arguments.joined(separator: " ")) at \(path.isEmpty ? "/" : path)")
                }
            }
            #expect(variants.count > 100)
            for (path, errors) in zip(paths, try OutputSchema.errors(variants)) {
                #expect(!errors.isEmpty, "\(path): a key the schema does not describe was accepted")
            }
        }
    }

    /// Without `--json` errors stay one line of text.
    @Test(.enabled(if: NatgateBinary.isBuilt, "the natgate binary is not built"))
    func withoutJSONErrorsAreText() throws {
        try Scratch.with { scratch in
            for arguments in [["enable", "10.200.1.0", "eth0"], ["enable", "10.200.1.0/24"]] {
                let result = try scratch.natgate(arguments, environment: ["NATGATE_STATE_DIRECTORY": scratch.state])
                #expect(result.status != 0)
                #expect(result.standardError.hasPrefix("natgate: ") || result.standardError.hasPrefix("Error: "), "\(result.standardError)")
                #expect(!result.standardError.contains("schemaVersion"))
            }
        }
    }
}
