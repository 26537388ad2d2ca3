import NatgateLab
import Foundation
import NatgateModel
import Testing
@testable import NatgatePolicy

/// `PolicyFile.decode` (natgate's one policy reader) against an independent reading of the same
/// files (Foundation's JSON parser, then the model's value parsers) and against its error contract.
@Suite struct PolicyDecodeTests {
    func decode(_ text: String) throws -> PolicyFile { try PolicyFile.decode(Data(text.utf8), name: "p.json") }

    func refusal(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> PolicyError? {
        do {
            let file = try decode(text)
            Issue.record("accepted: \(file)", sourceLocation: sourceLocation)
            return nil
        } catch let error as PolicyError {
            #expect(error.kind == .invalidPolicyFile, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix("p.json:"), "\(error.message)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("not a PolicyError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// A policy read without natgate's reader: `JSONSerialization`, then `Gateway`'s value parsers.
    func readThroughFoundation(_ data: Data) throws -> PolicyFile {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == PolicyFile.currentVersion)
        let gateways = try (object["gateways"] as? [[String: Any]] ?? []).map { fields in
            try Gateway(
                subnet: Gateway.subnet(try #require(fields["subnet"] as? String)),
                uplink: InterfaceName(try #require(fields["uplink"] as? String)),
                via: (fields["via"] as? String).map { try InterfaceName($0) },
                inbound: (fields["inbound"] as? String).map { try #require(Gateway.Inbound(rawValue: $0)) } ?? .established,
                exclude: (fields["exclude"] as? [String] ?? []).map { try Gateway.excludedNetwork($0) },
                snatTo: (fields["snatTo"] as? String).map { try Gateway.address($0) },
                ports: (fields["ports"] as? String).map { try PortRange($0, separator: "-") },
                randomFully: fields["randomFully"] as? Bool ?? false)
        }
        return PolicyFile(gateways: gateways)
    }

    @Test(arguments: PolicyFixtures.names)
    func fixturesReadAsFoundationAndTheValueParsersReadThem(name: String) throws {
        let data = try Data(contentsOf: PolicyFixtures.directory.appendingPathComponent("\(name).json"))
        let expected = try readThroughFoundation(data)
        #expect(try PolicyFile.decode(data, name: name) == expected)
        #expect(!expected.gateways.isEmpty)
        // Reformatted (other key order, other white space), the file means the same.
        let object = try JSONSerialization.jsonObject(with: data)
        for options: JSONSerialization.WritingOptions in [[], [.prettyPrinted], [.sortedKeys], [.prettyPrinted, .sortedKeys]] {
            let reformatted = try JSONSerialization.data(withJSONObject: object, options: options)
            #expect(try PolicyFile.decode(reformatted, name: name) == expected, "\(options)")
        }
    }

    @Test func randomPoliciesRoundTrip() throws {
        var random = SeededRandom(seed: 2026)
        for round in 0..<60 {
            let file = PolicyFile(gateways: (0..<Int.random(in: 0...25, using: &random)).map { _ in randomGateway(&random) })
            let encoded = try file.encoded()
            let decoded = try PolicyFile.decode(encoded, name: "round \(round)")
            #expect(decoded == file, "round \(round)")
            // The gateways as natgate's JSON outputs print them decode back (`Gateway: Decodable`).
            #expect(try JSONDecoder().decode([Gateway].self, from: try JSONEncoder().encode(file.gateways)) == file.gateways, "round \(round)")
            // Compact, keys in declaration order: the same.
            #expect(try PolicyFile.decode(try JSONEncoder().encode(file)) == file, "round \(round)")
        }
    }

    @Test func nullCountsAsAbsentForOptionalKeys() throws {
        let file = try decode(
            #"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "via": null, "inbound": null, "exclude": null, "snatTo": null, "ports": null, "randomFully": null}]}"#)
        #expect(file.gateways == [try gateway("10.0.0.0/24", "eth0")])
        #expect(try decode(#"{"version": 1, "gateways": null}"#).gateways.isEmpty)
        #expect(try decode(#"{"version": 1}"#).gateways.isEmpty)
        #expect(try #require(refusal(#"{"version": 1, "gateways": [{"subnet": null, "uplink": "eth0"}]}"#)).message.contains("has no \"subnet\""))
        #expect(try #require(refusal(#"{"version": null}"#)).message.contains("version is null: expected a number"))
    }

    /// Any JSON spelling of the number 1 is version 1; other numbers, fractions and non-numbers are not.
    @Test func versionIsTheNumberOneHoweverItIsWritten() throws {
        for spelling in ["1", "1.0", "1e0", "1E+0", "10e-1", "0.1e1", "1.000"] {
            #expect(try decode(#"{"version": \#(spelling), "gateways": []}"#).version == 1, "\(spelling)")
        }
        let zero = try #require(refusal(#"{"version": -0}"#))
        #expect(zero.message.contains("\"version\": 0, but this natgate reads version 1"))
        let fraction = try #require(refusal(#"{"version": 1.5}"#))
        #expect(fraction.message.contains("1.5 is not a whole number") && fraction.message.contains("\"version\": 1"))
        let huge = try #require(refusal(#"{"version": 1e400}"#))
        #expect(huge.message.contains("out of range"))
        let text = try #require(refusal(#"{"version": "1"}"#))
        #expect(text.message.contains("version has the wrong type: expected a number, found the string \"1\""))
        #expect(try #require(refusal(#"{"version": true}"#)).message.contains("found true"))
        #expect(try #require(refusal(#"{"version": 2}"#)).message.contains("reads version 1"))
        #expect(try #require(refusal(#"{"gateways": []}"#)).message.contains("add \"version\": 1"))
    }

    @Test func wrongTypesNameThePathAndWhatWasFound() throws {
        let cases: [(json: String, mentions: [String])] = [
            ("[]", ["the top level has the wrong type: expected an object, found an array"]),
            ("\"x\"", ["the top level", "found the string \"x\""]),
            (#"{"version": 1, "gateways": {}}"#, ["gateways has the wrong type: expected an array, found an object"]),
            (#"{"version": 1, "gateways": [1]}"#, ["gateways[0] has the wrong type: expected an object, found the number 1"]),
            (#"{"version": 1, "gateways": [null]}"#, ["gateways[0] is null: expected an object"]),
            (#"{"version": 1, "gateways": [{"subnet": 5, "uplink": "eth0"}]}"#, ["gateways[0].subnet has the wrong type: expected a string"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": ["eth0"]}]}"#, ["gateways[0].uplink", "found an array"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "exclude": "10.0.0.0/8"}]}"#, ["gateways[0].exclude has the wrong type: expected an array"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "exclude": [null]}]}"#, ["gateways[0].exclude[0] is null: expected a string"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "exclude": [8]}]}"#, ["gateways[0].exclude[0] has the wrong type"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "ports": 1024}]}"#, ["gateways[0].ports has the wrong type: expected a string"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "inbound": 3}]}"#, ["gateways[0].inbound has the wrong type"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "randomFully": "yes"}]}"#, ["gateways[0].randomFully has the wrong type: expected true or false"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "via": false}]}"#, ["gateways[0].via", "found false"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "snatTo": {}}]}"#, ["gateways[0].snatTo", "found an object"]),
        ]
        for (json, mentions) in cases {
            guard let error = refusal(json) else { continue }
            for text in mentions { #expect(error.message.contains(text), "\(json): \(error.message)") }
        }
    }

    @Test func invalidValuesNameTheKeyPathAndTheValue() throws {
        let cases: [(json: String, input: String, mentions: [String])] = [
            (#"{"version": 1, "gateways": [{"subnet": "10.200.1.5/24", "uplink": "eth0"}]}"#, "10.200.1.5/24", ["gateways[0].subnet", "did you mean 10.200.1.0/24"]),
            (#"{"version": 1, "gateways": [{"subnet": "fd00::1/64", "uplink": "eth0"}]}"#, "fd00::1/64", ["gateways[0].subnet", "fd00::/64"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/33", "uplink": "eth0"}]}"#, "10.0.0.0/33", ["gateways[0].subnet", "invalid mask"]),
            (#"{"version": 1, "gateways": [{"subnet": "nonsense", "uplink": "eth0"}]}"#, "nonsense", ["gateways[0].subnet", "not an IPv4 network"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "abcdefghijklmnop"}]}"#, "abcdefghijklmnop", ["gateways[0].uplink", "16 bytes"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": ""}]}"#, "", ["gateways[0].uplink", "empty"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "via": "a b"}]}"#, "a b", ["gateways[0].via"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "inbound": "some"}]}"#, "some", ["gateways[0].inbound", "\"established\" or \"all\""]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "exclude": ["10.0.0.0/8", "x"]}]}"#, "x", ["gateways[0].exclude[1]", "not an IPv4 network"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "snatTo": "1.2.3"}]}"#, "1.2.3", ["gateways[0].snatTo", "not an IPv4 address"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "ports": "x"}]}"#, "x", ["gateways[0].ports", "not a port"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "ports": "2000-1000"}]}"#, "2000-1000", ["gateways[0].ports", "backwards"]),
            // What the gateway itself refuses names the gateway.
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "ports": "0-10"}]}"#, "0-10", ["gateways[0]: Gateway 10.0.0.0/24", "port 0"]),
            (#"{"version": 1, "gateways": [{"subnet": "fd00::/64", "uplink": "eth0", "snatTo": "192.0.2.1"}]}"#, "192.0.2.1", ["gateways[0]: Gateway fd00::/64", "192.0.2.1"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "exclude": ["fd00::/8"]}]}"#, "fd00::/8", ["gateways[0]: Gateway 10.0.0.0/24", "IPv6"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "via": "eth0"}]}"#, "eth0", ["gateways[0]:", "both eth0"]),
            (#"{"version": 1, "gateways": [{"subnet": "0.0.0.0/0", "uplink": "eth0"}]}"#, "0.0.0.0/0", ["gateways[0]:", "every address"]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0"}, {"uplink": "eth0"}]}"#, "subnet", ["gateways[1] has no \"subnet\""]),
            (#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24"}]}"#, "uplink", ["gateways[0] has no \"uplink\""]),
        ]
        for (json, input, mentions) in cases {
            guard let error = refusal(json) else { continue }
            #expect(error.input == input, "\(json): \(error.input)")
            for text in mentions { #expect(error.message.contains(text), "\(json): \(error.message)") }
        }
    }

    @Test func unknownKeysComeFirstAndTheFirstInAlphabeticalOrderIsNamed() throws {
        let top = try #require(refusal(#"{"zz": 1, "gatways": [], "version": 7}"#))
        #expect(top.input == "gatways" && top.message.contains("Unknown key \"gatways\" at gatways"))
        #expect(top.message.contains("\"version\", \"gateways\""))
        // Before the gateway's own problems (no subnet, a bad uplink).
        let gateway = try #require(refusal(#"{"version": 1, "gateways": [{"subnet": "10.0.1.0/24", "uplink": "eth0"}, {"uplink": "x y", "viaa": "v", "Subnet": "10.0.0.0/24"}]}"#))
        #expect(gateway.input == "Subnet" && gateway.message.contains("gateways[1].Subnet"))
        #expect(gateway.message.contains(#""subnet", "uplink", "via", "inbound", "exclude", "snatTo", "ports", "randomFully""#))
        // An escaped spelling of a known key is that key.
        #expect(try decode(#"{"version": 1, "gateways": [{"sn\u0061tTo": "1.2.3.4", "subnet": "10.0.0.0/24", "uplink": "eth0"}]}"#).gateways[0].snatTo == (try IPAddress("1.2.3.4")))
    }

    @Test func syntaxErrorsGiveTheFileLineAndColumn() throws {
        let text = """
            {
              "version": 1,
              "gateways": [
                {"subnet": "10.0.0.0/24", "uplink": "eth0"},
              ]
            }
            """
        let error = try #require(refusal(text))
        #expect(error.input == "p.json")
        #expect(error.message.hasPrefix("p.json:4:48: not valid JSON in gateways: a comma before ']'."), "\(error.message)")
        #expect(error.message.hasSuffix("Remove the comma after the last element."))
        let garbage = try #require(refusal("{\"version\": 1}\n}\n"))
        #expect(garbage.message.hasPrefix("p.json:2:1: not valid JSON: '}' after the end of the JSON value."), "\(garbage.message)")
        let escape = try #require(refusal(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "\ud83d"}]}"#))
        #expect(escape.message.hasPrefix("p.json:1:66: not valid JSON in gateways[0].uplink: \\uD83D"), "\(escape.message)")
        // A syntax error anywhere is found before any other problem.
        let first = try #require(refusal(#"{"version": 9, "bogus": 1, "gateways": [01]}"#))
        #expect(first.message.contains("leading zero"))
    }

    @Test func aKeyGivenTwiceIsRefused() throws {
        let error = try #require(refusal(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "eth0", "snatTo": "1.2.3.4", "snatTo": "1.2.3.5"}]}"#))
        #expect(error.input == "snatTo")
        #expect(error.message == "p.json:1:94: key \"snatTo\" is given twice in gateways[0]: each key may appear once in an object. Remove one of them.")
        let top = try #require(refusal(#"{"version": 1, "version": 1}"#))
        #expect(top.message.contains("given twice at the top level"))
    }

    @Test func leadingByteOrderMarkAndAnyWhitespaceAreFine() throws {
        let text = "\u{FEFF}\r\n\t{ \"version\" :\n1 ,\"gateways\":[ { \"uplink\":\"eth0\" , \"subnet\" : \"10.0.0.0/24\" } ] }\r\n"
        #expect(try decode(text).gateways == [try gateway("10.0.0.0/24", "eth0")])
    }

    @Test func nonASCIIValuesReachTheModel() throws {
        // JSON allows it; the model decides. An escaped name is the name.
        #expect(try decode(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "\u0065th0"}]}"#).gateways[0].uplink == (try InterfaceName("eth0")))
        let emoji = try decode(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "\ud83d\ude00"}]}"#)
        #expect(emoji.gateways[0].uplink.rawValue == "😀")
        #expect(refusal(#"{"version": 1, "gateways": [{"subnet": "10.0.0.0/24", "uplink": "\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00"}]}"#) != nil)
    }

    @Test func theLastUplinkRememberedIsOnlyReusedForTheSameText() throws {
        let file = try decode(
            #"{"version": 1, "gateways": [{"subnet": "10.0.1.0/24", "uplink": "eth0"}, {"subnet": "10.0.2.0/24", "uplink": "eth0"}, {"subnet": "10.0.3.0/24", "uplink": "eth1"}, {"subnet": "10.0.4.0/24", "uplink": "eth0"}]}"#)
        #expect(file.gateways.map(\.uplink.rawValue) == ["eth0", "eth0", "eth1", "eth0"])
        let bad = try #require(refusal(#"{"version": 1, "gateways": [{"subnet": "10.0.1.0/24", "uplink": "eth0"}, {"subnet": "10.0.2.0/24", "uplink": "eth 0"}]}"#))
        #expect(bad.message.contains("gateways[1].uplink"))
    }
}

/// The decoder's fast paths for networks, addresses and port ranges give exactly what the slow paths
/// (`Gateway.subnet`, `Gateway.address`, the model's port range) give, value or error, for any text.
@Suite struct PolicyReaderFastPathTests {
    static let networkTexts = [
        "10.200.1.0/24", "10.200.1.5/24", "10.0.0.0/8", "0.0.0.0/0", "1.2.3.4/32", "1.2.3.4", "10.0.0.0/024", "10.0.0.0/+8",
        "10.0.0.0/-8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0//8", "/8", "", "10.0.0/8", "10.0.0.256/8", "10.0.0.0/255.0.0.0",
        "10.0.0.0/255.0.255.0", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8\u{301}", "10.0.0.0/\u{301}8", "10.0.0.0\u{301}/8",
        "fd00:200:1::/64", "fd00:200:1::1/64", "::/0", "::1/128", "fd00::/129", "fd00::/0064", "fd00::/ffff:ffff::",
        "2001:db8::/32", "::ffff:192.0.2.0/120", "fd00::", "fd00::/", "fd00:::/64", "gd00::/64", "10.0.0.0:/8", "１0.0.0.0/8",
        "10.0.0.0/8/8", "1.2.3.0/2 4", "01.02.03.00/24", "010.0.0.0/8", "0010.0.0.0/8", "10.0.0.0/08", "10.0.0.0/0", "999.0.0.0/8",
        "1.2.3.4.5/32", "1..2.3/8", ".1.2.3/8", "1.2.3./8", "255.255.255.255/32", "255.255.255.254/31", "10.0.0.0/32x",
    ]
    static let addressTexts = [
        "203.0.113.7", "0.0.0.0", "255.255.255.255", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4 ", "", "2001:db8::7",
        "::", "::1", "fe80::1%eth0", "2001:db8::g", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8:9", "١.2.3.4",
    ]
    static let portRangeTexts = [
        "1024-65535", "80", "0", "65535", "65536", "0-10", "10-0", "1024-", "-1024", "-", "", "+80", "080", "1024 - 2048",
        "1024-2048-3000", "1024:2048", "99999-100000", "١٢٣", "80\u{301}", "80-9\u{301}0",
    ]

    @Test(arguments: networkTexts) func networks(_ text: String) {
        #expect(same(Result { try PolicyReader.network(text) }, Result { try Gateway.subnet(text) }), "\(text.debugDescription)")
    }

    @Test(arguments: addressTexts) func addresses(_ text: String) {
        #expect(same(Result { try PolicyReader.address(text) }, Result { try Gateway.address(text) }), "\(text.debugDescription)")
    }

    @Test(arguments: portRangeTexts) func portRanges(_ text: String) {
        #expect(same(Result { try PolicyReader.portRange(text) }, Result { try PortRange(text, separator: "-") }), "\(text.debugDescription)")
    }

    @Test func randomTexts() {
        var random = SeededRandom(seed: 44)
        let alphabet: [Character] = Array("0123456789./:-+af ") + ["\u{301}"]
        for _ in 0..<5_000 {
            var text = String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            if Bool.random(using: &random) { text = "10.\(Int.random(in: 0...300, using: &random)).0.0/\(text)" }
            #expect(same(Result { try PolicyReader.network(text) }, Result { try Gateway.subnet(text) }), "\(text.debugDescription)")
            #expect(same(Result { try PolicyReader.address(text) }, Result { try Gateway.address(text) }), "\(text.debugDescription)")
            #expect(same(Result { try PolicyReader.portRange(text) }, Result { try PortRange(text, separator: "-") }), "\(text.debugDescription)")
        }
    }

    func same<T: Equatable>(_ a: Result<T, any Error>, _ b: Result<T, any Error>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): x == y
        case (.failure(let x as ModelError), .failure(let y as ModelError)): x == y
        default: false
        }
    }
}
