import Foundation
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import Testing
@testable import Natgate

/// The `--json` documents as a library user encodes them, without root: every one begins with
/// `schemaVersion` and `version`, forwarding is key, before, after and recorded rather than prose,
/// and a gateway's rules are grouped by table with numeric counters.
@Suite struct MachineOutputTests {
    /// `value` encoded with a plain `JSONEncoder`, as an embedding tool would, read back as a
    /// dictionary.
    static func object(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    @Test func reportsStatusesAndPlansBeginWithTheSchemaAndNatgateVersions() throws {
        let sysctl = try FakeSysctl()
        let natgate = controller(MemoryRuleStore(), sysctl)
        let report = try natgate.enable(try gateway("10.200.1.0/24", "eth0"))
        let documents: [(String, [String: Any])] = [
            ("report", try Self.object(report)),
            ("status", try Self.object(try natgate.status())),
            ("plan", try Self.object(try natgate.plan(.flush))),
            ("error", try Self.object(ErrorOutput(NatgateError(.invalidInput, "no.")))),
        ]
        for (name, document) in documents {
            #expect(document["schemaVersion"] as? Int == 1, "\(name)")
            #expect(document["version"] as? String == NatgateVersion.current, "\(name)")
        }
        // A plan inside a report is part of the document, not one of its own.
        let plan = try #require(documents[0].1["plan"] as? [String: Any])
        #expect(plan["schemaVersion"] == nil && plan["version"] == nil, "\(plan.keys.sorted())")
        #expect(plan["tables"] != nil)
    }

    @Test func aReportsForwardingIsKeyBeforeAfterAndRecorded() throws {
        let sysctl = try FakeSysctl()
        let natgate = controller(MemoryRuleStore(), sysctl)
        let enabled = try Self.object(try natgate.enable(try gateway("10.200.1.0/24", "eth0")))
        let set = try #require(enabled["forwarding"] as? [[String: Any]])
        #expect(set.count == 1)
        #expect(set.first?["key"] as? String == "net.ipv4.ip_forward")
        #expect(set.first?["action"] as? String == "set")
        #expect(set.first?["before"] as? String == "0")
        #expect(set.first?["after"] as? String == "1")
        #expect(set.first?["recorded"] as? Bool == true)

        let report = try natgate.disable(Gateway.Key(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0")))
        let restored = try #require(try Self.object(report)["forwarding"] as? [[String: Any]])
        #expect(restored.first?["action"] as? String == "restored")
        #expect(restored.first?["before"] as? String == "1")
        #expect(restored.first?["after"] as? String == "0")
        #expect(restored.first?["recorded"] as? Bool == false)
        // The text form keeps its sentence.
        #expect(report.forwarding.map(\.description) == ["net.ipv4.ip_forward restored to 0"])
        #expect(try sysctl.value(.ipv4Forward) == "0")
    }

    @Test func somebodyElsesValueIsReportedAsLeftAloneWithItsValue() throws {
        let sysctl = try FakeSysctl()
        let natgate = controller(MemoryRuleStore(), sysctl)
        _ = try natgate.enable(try gateway("10.200.1.0/24", "eth0"))
        // Someone else writes the sysctl after natgate did.
        try "2\n".write(toFile: sysctl.root + "/net/ipv4/ip_forward", atomically: false, encoding: .utf8)
        let report = try natgate.flush()
        #expect(report.forwarding == [ForwardingChange(key: "net.ipv4.ip_forward", action: .leftAlone, before: "2", after: "2", recorded: false)])
        #expect(report.outcome == .changed)
    }

    @Test func statusGroupsEachGatewaysRulesByTableWithNumericCounters() throws {
        let sysctl = try FakeSysctl()
        let natgate = controller(MemoryRuleStore(), sysctl)
        _ = try natgate.enable(try gateway("10.200.1.0/24", "eth0"))
        let status = try Self.object(try natgate.status())
        let ipv4 = try #require((status["families"] as? [[String: Any]])?.first)
        let forwarding = try #require(ipv4["forwarding"] as? [String: Any])
        #expect(forwarding["key"] as? String == "net.ipv4.ip_forward")
        #expect(forwarding["value"] as? String == "1")
        #expect(forwarding["recordedPrevious"] as? String == "0")
        let rules = try #require((ipv4["gateways"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])
        #expect(rules.compactMap { $0["table"] as? String } == ["filter", "nat"])
        for table in rules {
            let lines = try #require(table["rules"] as? [[String: Any]])
            #expect(!lines.isEmpty)
            for rule in lines {
                let line = try #require(rule["line"] as? String)
                #expect(line.hasPrefix("-A NATGATE-"), "\(line)")
                if let counters = rule["counters"] {
                    let numbers = try #require(counters as? [String: Any])
                    #expect(numbers["packets"] is Int && numbers["bytes"] is Int, "\(numbers)")
                }
            }
        }
    }

    @Test func errorsCarryTheirExitCodesMeaning() throws {
        let cases: [(NatgateError, Int, String)] = [
            (NatgateError(.invalidInput, "bad subnet"), 2, "bad input"),
            (NatgateError(.system, "not root"), 3, "system refused"),
        ]
        for (error, code, meaning) in cases {
            let details = try #require(try Self.object(ErrorOutput(error))["error"] as? [String: Any])
            #expect(details["message"] as? String == error.message)
            #expect(details["exitCode"] as? Int == code)
            #expect(details["meaning"] as? String == meaning)
        }
        #expect(ErrorOutput.meaning(ofExitCode: 1) == "drift or an interrupted change")
        #expect(ErrorOutput.meaning(ofExitCode: 4) == "nftables blocks a gateway")
        #expect(ErrorOutput.meaning(ofExitCode: 64) == "usage")
    }
}
