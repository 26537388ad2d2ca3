import Foundation
import Testing
import NatgateEngine
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
