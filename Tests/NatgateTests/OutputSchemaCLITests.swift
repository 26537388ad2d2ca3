import Foundation
import NatgateKernel
import Testing
@testable import Natgate
import NatgateLab

/// docs/natgate-output.schema.json, checked with Debian's python3-jsonschema (Scripts/install-deps
/// installs it): the JSON Schema validator the documentation points consumers at, not one of
/// natgate's own.
enum OutputSchema {
    static let path = Paths.root.appendingPathComponent("docs/natgate-output.schema.json").path
    static let python = "/usr/bin/python3"

    /// Reads `[[definition, document], …]` and prints, for each, the list of its errors against
    /// `$defs/definition`, and against the whole schema (a document must match exactly one of its
    /// kinds).
    static let validator = #"""
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        whole = Draft202012Validator(schema)
        results = []
        for name, document in json.load(sys.stdin):
            if name not in schema["$defs"]:
                results.append(["the schema has no $defs/" + name])
                continue
            part = Draft202012Validator({"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/" + name})
            errors = ["/" + "/".join(map(str, e.absolute_path)) + ": " + e.message[:300] for e in part.iter_errors(document)]
            if not errors and not whole.is_valid(document):
                errors = ["valid as " + name + " but not exactly one of the schema's document kinds"]
            results.append(errors)
        json.dump(results, sys.stdout)
        """#

    /// The errors of each document against the schema's definition named with it; empty when valid.
    static func errors(_ documents: [(definition: String, document: Any)]) throws -> [[String]] {
        let input = try JSONSerialization.data(withJSONObject: documents.map { [$0.definition, $0.document] })
        let result = try ThrowawayNamespace.execute([python, "-c", validator, path], input: String(decoding: input, as: UTF8.self))
        guard result.status == 0 else {
            throw NatgateError(.system, "the schema validator failed (is python3-jsonschema installed? Scripts/install-deps installs it): \(result.standardError)")
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String]])
    }

    /// `document` once per object in it, that object given a key the schema does not describe.
    static func withAnUnknownKey(_ document: Any) -> [(path: String, document: Any)] {
        var variants: [(String, Any)] = []
        switch document {
        case let object as [String: Any]:
            var extended = object
            extended["unexpectedKey"] = true
            variants.append(("", extended))
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                for (path, variant) in withAnUnknownKey(value) {
                    var copy = object
                    copy[key] = variant
                    variants.append(("/\(key)\(path)", copy))
                }
            }
        case let array as [Any]:
            for (index, value) in array.enumerated() {
                for (path, variant) in withAnUnknownKey(value) {
                    var copy = array
                    copy[index] = variant
                    variants.append(("/\(index)\(path)", copy))
                }
            }
        default:
            break
        }
        return variants
    }
}

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

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Paths.binary), "the natgate binary is not built"))
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
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Paths.binary), "the natgate binary is not built"))
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
