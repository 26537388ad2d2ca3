import Foundation
import NatgateModel
import Testing
@testable import NatgatePolicy

@Suite struct PolicyFileTests {
    func decode(_ text: String) throws -> PolicyFile { try PolicyFile.decode(Data(text.utf8), name: "p.json") }

    @Test func everyOptionRoundTrips() throws {
        let file = PolicyFile(gateways: [
            try gateway("10.200.1.0/24", "eth0", via: "v-eth1", inbound: .all, exclude: ["10.0.0.0/8"], snatTo: "203.0.113.7", ports: "1024-65535", randomFully: true),
            try gateway("fd00:200:1::/64", "eth0"),
        ])
        let decoded = try PolicyFile.decode(try file.encoded())
        #expect(decoded == file)
    }

    @Test func minimalGatewayTakesTheDefaults() throws {
        let file = try decode(#"{"version": 1, "gateways": [{"subnet": "10.200.1.0/24", "uplink": "eth0"}]}"#)
        #expect(file.gateways == [try gateway("10.200.1.0/24", "eth0")])
    }

    @Test func unknownKeysAreNamedWithTheirPath() throws {
        let error = try #require(throws: PolicyError.self) {
            try decode(#"{"version": 1, "gateways": [{"subnet": "10.200.1.0/24", "uplink": "eth0"}, {"subnet": "10.200.2.0/24", "uplink": "eth0", "snat_to": "1.2.3.4"}]}"#)
        }
        #expect(error.kind == .invalidPolicyFile)
        #expect(error.message.contains("\"snat_to\""))
        #expect(error.message.contains("gateways[1].snat_to"))
        #expect(error.message.hasPrefix("p.json:"))
        #expect(throws: PolicyError.self) { try decode(#"{"version": 1, "gateway": []}"#) }
    }

    @Test func versionIsRequiredAndChecked() throws {
        let missing = try #require(throws: PolicyError.self) { try decode(#"{"gateways": []}"#) }
        #expect(missing.message.contains("\"version\": 1"))
        let future = try #require(throws: PolicyError.self) { try decode(#"{"version": 2, "gateways": []}"#) }
        #expect(future.message.contains("version 1"))
    }

    @Test func badValuesNameTheKeyAndTheValue() throws {
        let hostBits = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [{"subnet": "10.200.1.5/24", "uplink": "eth0"}]}"#) }
        #expect(hostBits.message.contains("gateways[0].subnet") && hostBits.message.contains("10.200.1.0/24"))
        let longName = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [{"subnet": "10.200.1.0/24", "uplink": "abcdefghijklmnop"}]}"#) }
        #expect(longName.message.contains("gateways[0].uplink"))
        let family = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [{"subnet": "fd00::/64", "uplink": "eth0", "snatTo": "192.0.2.1"}]}"#) }
        #expect(family.message.contains("fd00::/64") && family.message.contains("192.0.2.1"))
        let inbound = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "inbound": "some"}]}"#) }
        #expect(inbound.message.contains("\"established\" or \"all\""))
        let type = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "randomFully": "yes"}]}"#) }
        #expect(type.message.contains("gateways[0].randomFully") && type.message.contains("true or false"))
        let missing = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24"}]}"#) }
        #expect(missing.message.contains("uplink"))
    }

    @Test func malformedJSONSaysSo() throws {
        let error = try #require(throws: PolicyError.self) { try decode(#"{"version": 1, "gateways": [}"#) }
        #expect(error.message.contains("not valid JSON"))
    }

    @Test func conflictsAreFoundWhenTheSetIsMade() throws {
        let file = try decode(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/16", "uplink": "eth0"}, {"subnet": "10.0.1.0/24", "uplink": "eth1"}]}"#)
        #expect(throws: PolicyError.self) { try file.gatewaySet() }
    }
}
