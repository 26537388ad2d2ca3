import Foundation
import NatgateModel
import Testing
@testable import NatgatePolicy

/// How the gateway verbs and policy files read subnets and addresses: stricter than iptables, with
/// a suggestion when the text is ambiguous or incomplete.
@Suite struct GatewayInputTests {
    @Test(arguments: [("10.200.1.0", "10.200.1.0/24"), ("10.200.0.0", "10.200.0.0/16"), ("10.200.1.7", "10.200.1.7/32"), ("fd00:200:1::", "fd00:200:1::/48")])
    func aBareAddressIsRefusedWithASuggestion(text: String, suggestion: String) throws {
        let error = try #require(throws: ModelError.self) { try Gateway.subnet(text) }
        #expect(error.message.contains("did you mean \(suggestion)?"), "\(error.message)")
    }

    @Test(arguments: ["010.200.1.0/24", "10.200.01.0/24", "10.200.1.0/024", "fd00::/064"])
    func leadingZerosAreRefused(text: String) throws {
        let error = try #require(throws: ModelError.self) { try Gateway.subnet(text) }
        #expect(error.message.contains("leading zero"), "\(error.message)")
        #expect(throws: ModelError.self) { try Gateway.address("010.0.0.1") }
    }

    @Test func leadingZerosGetTheDecimalSpellingSuggested() throws {
        let error = try #require(throws: ModelError.self) { try Gateway.subnet("010.200.001.0/024") }
        #expect(error.message.contains("such as 10.200.1.0/24"), "\(error.message)")
    }

    @Test(arguments: ["::ffff:10.200.1.0/120", "::ffff:0:0/96", "::ffff:a00:0/104"])
    func ipv4MappedSubnetsAreRefused(text: String) throws {
        let error = try #require(throws: PolicyError.self) {
            try Gateway(subnet: IPNetwork(text), uplink: InterfaceName("eth0"))
        }
        #expect(error.message.contains("IPv4-mapped"))
    }

    @Test func policyFilesAndJSONOutputsReadSubnetsAsTheVerbsDo() throws {
        for (subnet, words) in [("10.200.1.0", "did you mean 10.200.1.0/24"), ("010.200.1.0/24", "leading zero"), ("::ffff:10.200.1.0/120", "IPv4-mapped")] {
            let text = #"{"version": 1, "gateways": [{"subnet": "\#(subnet)", "uplink": "eth0"}]}"#
            let error = try #require(throws: PolicyError.self) { try PolicyFile.decode(Data(text.utf8), name: "p.json") }
            #expect(error.message.contains(words), "\(error.message)")
            // So does a gateway decoded from natgate's JSON output (`Gateway: Decodable`).
            let gatewayText = #"{"subnet": "\#(subnet)", "uplink": "eth0"}"#
            let viaCodable = try #require(throws: (any Error).self) { try JSONDecoder().decode(Gateway.self, from: Data(gatewayText.utf8)) }
            #expect("\(viaCodable)".contains(words), "\(viaCodable)")
        }
    }

    @Test func aHugeValueInAPolicyIsQuotedShort() throws {
        let huge = String(repeating: "1", count: 2_000_000)
        for key in ["subnet", "uplink", "inbound"] {
            var fields = ["subnet": "10.200.1.0/24", "uplink": "eth0"]
            fields[key] = huge
            let text = #"{"version": 1, "gateways": [{"subnet": "\#(fields["subnet"]!)", "uplink": "\#(fields["uplink"]!)", "inbound": "\#(key == "inbound" ? huge : "all")"}]}"#
            let error = try #require(throws: PolicyError.self) { try PolicyFile.decode(Data(text.utf8), name: "p.json") }
            #expect(error.message.utf8.count < 400, "\(key): \(error.message.utf8.count) bytes")
        }
        let unknown = #"{"version": 1, "\#(huge)": 1}"#
        let error = try #require(throws: PolicyError.self) { try PolicyFile.decode(Data(unknown.utf8), name: "p.json") }
        #expect(error.message.utf8.count < 600, "\(error.message.utf8.count) bytes")
    }

    /// The compiler traps when its own comment, SNAT or conntrack value is refused: the longest
    /// values input can give compile (a longer comment would be refused by `Gateway.init`).
    @Test func theLongestGatewaysInputCanMakeCompile() throws {
        let subnet = try IPNetwork("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")
        let gateway = try Gateway(
            subnet: subnet, uplink: InterfaceName("abcdefghijklmn+"), via: InterfaceName("ABCDEFGHIJKLMNO"), inbound: .established,
            exclude: [try IPNetwork("fd00::/8")], snatTo: try IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ports: try PortRange("1-65535", separator: "-"), randomFully: true)
        for table in [TableName.filter, .nat] {
            #expect(!GatewayCompiler().rules(for: gateway, table: table).isEmpty)
        }
        #expect(OwnedChains.tag(gateway).utf8.count <= CommentMatch.maximumLength)
    }

    @Test func aNulInAnUplinkIsBadInputNotACrash() throws {
        let text = "{\"version\": 1, \"gateways\": [{\"subnet\": \"10.200.1.0/24\", \"uplink\": \"eth0\\u0000\"}]}"
        let error = try #require(throws: PolicyError.self) { try PolicyFile.decode(Data(text.utf8), name: "p.json") }
        #expect(error.message.contains(#"'eth0\0'"#), "\(error.message)")
    }
}
