import Foundation
import Testing
import NatgateLab

/// The gateway verbs through the built binary in a throwaway namespace: exit statuses, messages and
/// a kernel left as it was.
@Suite(.enabled(if: ThrowawayNamespace.isSupported && NatgateBinary.isBuilt, "needs root and the built natgate binary"), .serialized)
struct CLIGatewayTests {
    @Test(arguments: [
        (["enable", "10.250.1.5/24", "eth0"], "did you mean 10.250.1.0/24"),
        (["enable", "10.250.1.0/24", "abcdefghijklmnop"], "16 bytes"),
        (["enable", "fd00:250:1::/64", "eth0", "--snat-to", "192.0.2.1"], "192.0.2.1"),
        (["enable", "10.250.1.0/24", "eth0", "--inbound", "some"], "'established' or 'all'"),
        (["enable", "10.250.1.0/24", "eth0", "--ports", "0-10"], "port 0"),
        (["disable", "10.250.1.0/33", "eth0"], "10.250.1.0/33"),
        (["apply", "/nonexistent/policy.json"], "policy file: cannot read /nonexistent/policy.json: no such file"),
    ])
    func badInputExits2AndChangesNothing(arguments: [String], message: String) throws {
        try Scratch.with { scratch in
            try scratch.load(String(contentsOf: Paths.hosts.appendingPathComponent("docker.canonical"), encoding: .utf8))
            let before = try scratch.save()
            let forwarding = try scratch.forwarding()
            let result = try scratch.natgate(arguments)
            #expect(result.status == 2)
            #expect(result.standardError.contains(message), "\(result.standardError)")
            #expect(try scratch.save() == before)
            #expect(try scratch.forwarding() == forwarding)
        }
    }

    @Test func renderPrintsTheGoldenRulesOfEachPolicyFixture() throws {
        for name in Paths.policyNames {
            let path = Paths.policies.appendingPathComponent("\(name).json").path
            let expected = try String(contentsOf: Paths.policies.appendingPathComponent("\(name).rules"), encoding: .utf8)
            let v6 = expected.contains("fd00")
            let result = try ThrowawayNamespace.execute([NatgateBinary.path, "render", path] + (v6 ? ["-6"] : []))
            #expect(result.status == 0)
            #expect(result.standardOutput == expected, "natgate render \(name).json")
            #expect(result.standardOutput.contains("create natgate-"))
        }
        let bad = try ThrowawayNamespace.execute([NatgateBinary.path, "render", "/nonexistent.json"])
        #expect(bad.status == 2)
    }

    @Test func aMalformedPolicyFileExits2NamingTheProblem() throws {
        try Scratch.with { scratch in
            let path = scratch.state + "-policy.json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try #"{"version": 1, "gateways": [{"subnet": "10.250.1.0/24", "uplink": "eth0", "snat-to": "1.2.3.4"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
            let before = try scratch.save()
            let result = try scratch.natgate(["apply", path])
            #expect(result.status == 2)
            #expect(result.standardError.contains("\"snat-to\"") && result.standardError.contains("gateways[0]"))
            #expect(try scratch.save() == before)
        }
    }

    @Test func notRootExits3AndChangesNothing() throws {
        try Scratch.with { scratch in
            let before = try scratch.save()
            let result = try scratch.natgate(["enable", "10.250.1.0/24", "eth0"], prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            #expect(result.status == 3, "\(result.standardError)")
            #expect(result.standardError.lowercased().contains("root"), "\(result.standardError)")
            #expect(try scratch.save() == before)
            #expect(try scratch.forwarding() == "0")
        }
    }

    @Test func enableStatusCheckAndDisableThroughTheBinary() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            #expect(try scratch.forwarding() == "0")
            #expect(try scratch.natgate(["status", "--check"], environment: env).status == 0)
            try scratch.namespace.shell("iptables-legacy -t nat -D POSTROUTING -j NATGATE-POSTROUTING")
            let drift = try scratch.natgate(["status", "--check", "--json"], environment: env)
            #expect(drift.status == 1)
            #expect(drift.standardOutput.contains("does not jump"))
            let plan = try scratch.natgate(["plan", "enable", "10.250.1.0/24", "eth0"], environment: env)
            #expect(plan.standardOutput == "# ipv4 nat\n+-A POSTROUTING -j NATGATE-POSTROUTING\n")
            #expect(try scratch.natgate(["enable", "10.250.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            #expect(try scratch.natgate(["status", "--check"], environment: env).status == 0)
            let absent = try scratch.natgate(["disable", "10.250.9.0/24", "eth0", "--no-sysctl"], environment: env)
            #expect(absent.status == 0)
            #expect(absent.standardOutput.contains("No gateway 10.250.9.0/24 eth0"))
            #expect(try scratch.natgate(["flush"], environment: env).status == 0)
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }
}
