import NatgateLab
import Foundation
import Testing
@testable import NatgatePolicy

@Suite struct JSONDocumentTests {
    @Test func everyKindOfValueInDocumentOrder() throws {
        let tree = try parse(#" {"a": [1, -2.5e3, "x", true, false, null, {}, []], "b": {"c": {"d": [[]]}}, "e": 0} "#)
        #expect(
            tree == .object([
                .init(key: "a", value: .array([.number("1"), .number("-2.5e3"), .string("x"), .bool(true), .bool(false), .null, .object([]), .array([])])),
                .init(key: "b", value: .object([.init(key: "c", value: .object([.init(key: "d", value: .array([.array([])]))]))])),
                .init(key: "e", value: .number("0")),
            ]))
        // Stepping over a nested value lands on the next member.
        #expect(try parse(#"[[1, [2, [3]]], 4]"#) == .array([.array([.number("1"), .array([.number("2"), .array([.number("3")])])]), .number("4")]))
    }

    @Test func scalarsAtTheTopLevel() throws {
        #expect(try parse("3") == .number("3"))
        #expect(try parse(#""x""#) == .string("x"))
        #expect(try parse(" null\n") == .null)
        #expect(try parse("\u{FEFF}{}") == .object([]))  // a UTF-8 byte order mark is skipped
    }

    @Test func stringsResolveEveryEscape() throws {
        #expect(try parse(#""\" \\ \/ \b \f \n \r \t""#) == .string("\" \\ / \u{8} \u{C} \n \r \t"))
        #expect(try parse(#""\u0041\u00e9\u00E9\u20AC\u0000""#) == .string("Aéé€\u{0}"))
        #expect(try parse(#""\ud83d\ude00 and \uD83D\uDE00""#) == .string("😀 and 😀"))
        #expect(try parse(#""é€😀 raw""#) == .string("é€😀 raw"))
        #expect(try parse(#""a\nb" "#) == .string("a\nb"))
        #expect(try parse(#"{"sn\u0061tTo": 1}"#) == .object([.init(key: "snatTo", value: .number("1"))]))
    }

    @Test func numbersFollowTheGrammar() throws {
        for literal in ["0", "-0", "1", "-1", "10", "1.5", "0.25", "1e3", "1E3", "1e+3", "1e-3", "-0.0e-0", "123456789012345678901234567890"] {
            #expect(try parse(literal) == .number(literal), "\(literal)")
        }
        for literal in ["01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-", "--1", "0x10", "1_000", "NaN", "Infinity", "-Infinity"] {
            #expect(parseError(literal) != nil, "\(literal)")
        }
    }

    @Test func numbersAsIntegersAreExact() {
        let cases: [(String, JSONDocument.IntegerValue)] = [
            ("1", .exactly(1)), ("1.0", .exactly(1)), ("1e0", .exactly(1)), ("10e-1", .exactly(1)), ("0.1e1", .exactly(1)),
            ("100", .exactly(100)), ("1.00e2", .exactly(100)), ("123000e-3", .exactly(123)), ("-0", .exactly(0)), ("0.000", .exactly(0)),
            ("0e999999999999999999999", .exactly(0)), ("-7", .exactly(-7)), ("1.5", .fractional), ("1e-1", .fractional),
            ("0.05", .fractional), ("1e-999999999999999999999", .fractional), ("9223372036854775807", .exactly(.max)),
            ("-9223372036854775808", .exactly(.min)), ("9223372036854775808", .outOfRange), ("1e19", .outOfRange),
            ("1e999999999999999999999", .outOfRange), ("-9223372036854775809", .outOfRange),
        ]
        for (literal, expected) in cases {
            #expect(JSONDocument.integerValue(ofNumber: literal) == expected, "\(literal)")
        }
    }

    @Test func syntaxErrorsSayWhereByLineAndColumn() throws {
        let text = """
            {
              "version": 1,
              "gateways": [
                {"subnet": "10.0.0.0/24" "uplink": "eth0"}
              ]
            }
            """
        let error = try #require(parseError(text))
        #expect(error.line == 4 && error.column == 30)
        #expect(error.path == [.key("gateways"), .index(0)])
        // Columns count characters, not bytes.
        let wide = try #require(parseError(#"{"é😀": 1 x}"#))
        #expect(wide.line == 1 && wide.column == 10)
        let late = try #require(parseError("[1,\n2,\n\n  3 4]"))
        #expect(late.line == 4 && late.column == 5 && late.path.isEmpty)
    }

    @Test func malformedTextIsRefusedWithAReason() throws {
        let cases: [(text: String, line: Int, column: Int, mentions: String)] = [
            ("", 1, 1, "empty"),
            ("  \n ", 2, 2, "empty"),
            ("{} x", 1, 4, "after the end"),
            ("{}{}", 1, 3, "after the end"),
            (#"{"a": 1,}"#, 1, 8, "comma before '}'"),
            ("[1, 2,\n]", 1, 6, "comma before ']'"),
            (#"{"a" 1}"#, 1, 6, "after the key \"a\""),
            (#"{"a": 1 "b": 2}"#, 1, 9, "after the value of \"a\""),
            ("[1 2]", 1, 4, "after an element"),
            (#"{a: 1}"#, 1, 2, "where a key should be"),
            (#"{'a': 1}"#, 1, 2, "single quote"),
            (#"['a']"#, 1, 2, "single quote"),
            ("[", 1, 2, "ends where a value should be"),
            (#"{"a": 1"#, 1, 8, "ends inside an object"),
            ("[1", 1, 3, "ends inside an array"),
            (#"["abc"#, 1, 2, "never closed"),
            (#"[1, ]"#, 1, 3, "comma before ']'"),
            (#"[,1]"#, 1, 2, "where a value should be"),
            ("[tru]", 1, 2, "'t'"),
            ("[True]", 1, 2, "'T'"),
            ("[nul]", 1, 2, "'n'"),
            ("[\"a\tb\"]", 1, 4, "tab"),
            ("[\"a\nb\"]", 1, 4, "line break"),
            (#"["\x"]"#, 1, 3, "the escape \\x"),
            (#"["\u12"]"#, 1, 3, "four hex digits"),
            (#"["\u12G4"]"#, 1, 3, "four hex digits"),
            (#"["\ud83d"]"#, 1, 3, "first half"),
            (#"["\ud83dx"]"#, 1, 3, "first half"),
            (#"["\ud83d\u0041"]"#, 1, 3, "not the second half"),
            (#"["\ude00"]"#, 1, 3, "second half"),
            ("[01]", 1, 2, "leading zero"),
            ("[1.]", 1, 4, "decimal point"),
            ("[1e]", 1, 4, "exponent"),
            ("[-]", 1, 3, "after '-'"),
            ("/* comment */ {}", 1, 1, "'/'"),
        ]
        for (text, line, column, mentions) in cases {
            guard let error = parseError(text) else {
                Issue.record("\(text.debugDescription) was accepted")
                continue
            }
            guard case .syntax(let problem, let advice) = error.reason else {
                Issue.record("\(text.debugDescription): \(error.reason)")
                continue
            }
            #expect(error.line == line && error.column == column, "\(text.debugDescription): \(error.line):\(error.column) \(problem)")
            #expect(problem.contains(mentions), "\(text.debugDescription): \(problem)")
            #expect(!advice.isEmpty)
        }
    }

    @Test func invalidUTF8IsRefused() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]] {
            guard case .failure(let error) = read(bytes), case .syntax(let problem, _) = error.reason else {
                Issue.record("\(bytes) was accepted")
                continue
            }
            #expect(problem.contains("not UTF-8") && error.column == 2, "\(bytes): \(problem)")
        }
    }

    @Test func aKeyGivenTwiceIsRefusedWhereverItIs() throws {
        let top = try #require(parseError(#"{"a": 1, "b": 2, "a": 3}"#))
        #expect(top.reason == .duplicateKey("a") && top.line == 1 && top.column == 18 && top.path.isEmpty)
        let nested = try #require(parseError(#"{"x": [{}, {"k": 1, "k": 1}]}"#))
        #expect(nested.reason == .duplicateKey("k") && nested.path == [.key("x"), .index(1)])
        // The same key spelled with an escape is the same key.
        #expect(try #require(parseError(#"{"ab": 1, "\u0061b": 2}"#)).reason == .duplicateKey("ab"))
        // Large objects too (checked with a set past 16 keys), including a repeat of an early key.
        let many = (0..<20_000).map { "\"k\($0)\": \($0)" }
        guard case .object(let members) = try parse("{" + many.joined(separator: ", ") + "}") else {
            Issue.record("not an object")
            return
        }
        #expect(members.count == 20_000)
        for (repeatOf, after) in [(3, 10), (3, 16), (3, 17), (15, 16), (16, 40), (39, 40)] {
            let text = "{" + (many.prefix(after) + ["\"k\(repeatOf)\": 0"]).joined(separator: ", ") + "}"
            #expect(try #require(parseError(text)).reason == .duplicateKey("k\(repeatOf)"), "k\(repeatOf) after \(after)")
        }
        // Keys of different objects are independent.
        #expect(try parse(#"{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}"#) != .null)
    }

    @Test func nestingIsLimited() throws {
        let depth = JSONDocument.maximumDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(parseError(deepest) == nil)
        let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        let error = try #require(parseError(tooDeep))
        #expect(error.column == depth + 1 && error.path.count == depth)
        // Far deeper than any stack would take is refused as quickly.
        #expect(parseError(String(repeating: "{\"a\":", count: 100_000)) != nil)
    }

    @Test func pathsReadAsKeyPaths() {
        #expect(JSONPathComponent.text([]) == "the top level")
        #expect(JSONPathComponent.text([.key("gateways"), .index(3), .key("subnet")]) == "gateways[3].subnet")
        #expect(JSONPathComponent.text([.index(0), .index(1)]) == "[0][1]")
    }

    @Test func agreesWithJSONSerializationOnRandomDocuments() throws {
        var random = SeededRandom(seed: 6)
        for _ in 0..<200 {
            let value = randomJSON(&random, depth: 0)
            let data = try JSONSerialization.data(withJSONObject: ["v": value], options: random.next() % 2 == 0 ? [.prettyPrinted] : [])
            let tree = try read(Array(data)).get()
            guard case .object(let members) = tree, members.count == 1 else {
                Issue.record("\(tree)")
                continue
            }
            #expect(same(members[0].value, value), "\(String(decoding: data, as: UTF8.self))")
        }
    }
}

