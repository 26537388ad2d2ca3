import NatgateLab
import Foundation
import Testing
@testable import NatgatePolicy

/// A parsed JSON value as a tree, to compare documents with what they should hold.
indirect enum JSONTree: Equatable, CustomStringConvertible {
    struct Member: Equatable {
        var key: String
        var value: JSONTree
    }

    case object([Member])
    case array([JSONTree])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    init(_ document: JSONDocument, _ node: Int) {
        switch document.kind(node) {
        case .object: self = .object(document.members(node).map { Member(key: $0.key, value: JSONTree(document, $0.value)) })
        case .array: self = .array(document.elements(node).map { JSONTree(document, $0) })
        case .string: self = .string(document.text(node))
        case .number: self = .number(document.text(node))
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .null: self = .null
        }
    }

    var description: String {
        switch self {
        case .object(let members): "{" + members.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .string(let text): "\"\(text)\""
        case .number(let text): text
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }
}

/// The tree of `bytes`, or why they are not JSON.
func read(_ bytes: [UInt8]) -> Result<JSONTree, JSONReadError> {
    do {
        return .success(try bytes.withUnsafeBytes { buffer in
            let document = try JSONDocument(parsing: buffer)
            return JSONTree(document, document.root)
        })
    } catch {
        return .failure(error as! JSONReadError)
    }
}

func parse(_ text: String) throws(JSONReadError) -> JSONTree { try read(Array(text.utf8)).get() }

func parseError(_ text: String) -> JSONReadError? {
    guard case .failure(let error) = read(Array(text.utf8)) else { return nil }
    return error
}

/// A random JSONSerialization value: strings with every kind of character, integers, nesting.
func randomJSON(_ random: inout SeededRandom, depth: Int) -> Any {
    let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{7F}", "é", "€", "😀", "\u{FFFF}", ":", ","]
    switch Int.random(in: depth > 3 ? 0...2 : 0...4, using: &random) {
    case 0: return String((0..<Int.random(in: 0...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    case 1: return Int.random(in: -1_000_000...1_000_000, using: &random)
    case 2: return [true, false].randomElement(using: &random)!
    case 3:
        var object: [String: Any] = [:]
        for index in 0..<Int.random(in: 0...4, using: &random) {
            object["k\(index)\(alphabet.randomElement(using: &random)!)"] = randomJSON(&random, depth: depth + 1)
        }
        return object
    default: return (0..<Int.random(in: 0...4, using: &random)).map { _ in randomJSON(&random, depth: depth + 1) }
    }
}

/// Whether `tree` holds the JSONSerialization value `value`.
func same(_ tree: JSONTree, _ value: Any) -> Bool {
    switch tree {
    case .object(let members):
        guard let object = value as? [String: Any], object.count == members.count else { return false }
        return members.allSatisfy { member in object[member.key].map { same(member.value, $0) } ?? false }
    case .array(let elements):
        guard let array = value as? [Any], array.count == elements.count else { return false }
        return zip(elements, array).allSatisfy { same($0, $1) }
    case .string(let text): return (value as? String) == text
    case .number(let literal): return (value as? Int).map { "\($0)" == literal } ?? false
    case .bool(let flag): return (value as? Bool) == flag
    case .null: return value is NSNull
    }
}
