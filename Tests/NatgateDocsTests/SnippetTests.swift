import Foundation
import Testing

/// Every ```swift block of the documentation is compiled: this suite finds each block in README.md,
/// docs/*.md, the DocC catalogs and the doc comments under Sources/, and checks that its code
/// appears, line for line, in a Swift file of this test target, which the build compiles. So the
/// documentation cannot show code that no longer compiles, and cannot drift from the code that does.
///
/// A block's `import` lines are matched separately, since a file holds its imports at the top and
/// a fragment may sit inside a function: each must be an import of the file holding the block, and
/// that file may import nothing else but `Testing`, so that "`import Natgate` is enough" is checked
/// too. A block without imports is a fragment, free to sit in a file with whatever it needs.
@Suite struct SnippetTests {
    /// The package's root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// One ```swift block: where it is, its import lines, and its other lines without indentation.
    struct Snippet: Sendable, CustomStringConvertible {
        var location: String
        var imports: [String]
        var body: [String]
        var description: String { location }
    }

    /// A Swift file of this target: its import lines and all its lines without indentation.
    struct CompiledFile {
        var path: String
        var imports: Set<String>
        var lines: [String]

        /// Whether `body` appears in the file as consecutive lines.
        func contains(_ body: [String]) -> Bool {
            guard !body.isEmpty, body.count <= lines.count else { return body.isEmpty }
            for start in 0...(lines.count - body.count) where lines[start] == body[0] {
                if Array(lines[start..<start + body.count]) == body { return true }
            }
            return false
        }
    }

    static func isImport(_ line: String) -> Bool {
        line.hasPrefix("import ") || line.hasPrefix("@testable import ") || line.hasPrefix("@_spi(") || line.hasPrefix("@_exported import ")
    }

    static func normalized(_ line: Substring) -> String {
        String(line.drop(while: { $0 == " " || $0 == "\t" })).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
    }

    /// The ```swift blocks of `text` (Markdown, or a Swift file's `///` comments), each as its lines.
    static func blocks(in text: String, docComments: Bool) -> [(line: Int, lines: [Substring])] {
        var result: [(line: Int, lines: [Substring])] = []
        var current: [Substring]?
        var start = 0
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw
            if docComments {
                let trimmed = raw.drop(while: { $0 == " " })
                guard trimmed.hasPrefix("///") else {
                    current = nil
                    continue
                }
                line = trimmed.dropFirst(3)
                if line.hasPrefix(" ") { line = line.dropFirst() }
            }
            let fence = line.drop(while: { $0 == " " })
            if var lines = current {
                if fence.hasPrefix("```") {
                    result.append((start, lines))
                    current = nil
                } else {
                    lines.append(line)
                    current = lines
                }
            } else if fence.hasPrefix("```swift") {
                current = []
                start = number + 1
            }
        }
        return result
    }

    static func snippet(_ lines: [Substring], at location: String) -> Snippet {
        let normalized = lines.map(normalized)
        var body = normalized.filter { !isImport($0) }
        while body.first == "" { body.removeFirst() }
        while body.last == "" { body.removeLast() }
        return Snippet(location: location, imports: normalized.filter(isImport), body: body)
    }

    static func files(under folder: String, withExtension ext: String) -> [URL] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == ext }.sorted { $0.path < $1.path }
    }

    static func relative(_ url: URL) -> String { String(url.path.dropFirst(root.path.count + 1)) }

    /// Every ```swift block of the documentation.
    static func documentedSnippets() throws -> [Snippet] {
        var markdown = [root.appendingPathComponent("README.md")] + files(under: "docs", withExtension: "md")
        markdown += files(under: "Sources", withExtension: "md").filter { $0.path.contains(".docc/") }
        var snippets: [Snippet] = []
        for url in markdown {
            for block in blocks(in: try String(contentsOf: url, encoding: .utf8), docComments: false) {
                snippets.append(snippet(block.lines, at: "\(relative(url)):\(block.line)"))
            }
        }
        for url in files(under: "Sources", withExtension: "swift") {
            for block in blocks(in: try String(contentsOf: url, encoding: .utf8), docComments: true) {
                snippets.append(snippet(block.lines, at: "\(relative(url)):\(block.line)"))
            }
        }
        return snippets
    }

    static func compiledFiles() throws -> [CompiledFile] {
        try files(under: "Tests/NatgateDocsTests", withExtension: "swift").map { url in
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(normalized)
            return CompiledFile(path: relative(url), imports: Set(lines.filter(isImport)), lines: lines)
        }
    }

    @Test func theDocumentationHasSnippetsToCheck() throws {
        let snippets = try Self.documentedSnippets()
        let locations = snippets.map(\.location)
        // The README's embedding example, its golden-rule test and GatewayController's example at
        // least: finding none would mean the search above is broken, not that all is well.
        #expect(locations.contains { $0.hasPrefix("README.md:") })
        #expect(locations.contains { $0.hasPrefix("Sources/NatgateEngine/GatewayController.swift:") })
        #expect(locations.contains { $0.hasPrefix("Sources/NatgateTesting/GoldenRules.swift:") })
    }

    @Test(arguments: try SnippetTests.documentedSnippets())
    func snippetIsCompiledHere(_ snippet: Snippet) throws {
        let files = try Self.compiledFiles()
        let holders = files.filter { $0.contains(snippet.body) }
        #expect(!holders.isEmpty, "\(snippet.location): no file of Tests/NatgateDocsTests holds this block's code line for line; copy it into one (inside a function if it is a fragment):\n\(snippet.body.joined(separator: "\n"))")
        guard !snippet.imports.isEmpty else { return }
        let wanted = Set(snippet.imports)
        let fitting = holders.filter { $0.imports.subtracting(["import Testing"]) == wanted.subtracting(["import Testing"]) }
        #expect(!holders.isEmpty && !fitting.isEmpty, "\(snippet.location): the file holding this block must import exactly what the block does (\(snippet.imports.joined(separator: ", "))), besides Testing; found \(holders.map { "\($0.path): \($0.imports.sorted().joined(separator: ", "))" })")
    }

    /// The check itself: a block that differs by one word from every compiled file is found.
    @Test func aChangedSnippetIsNotFound() throws {
        let files = try Self.compiledFiles()
        let embedding = try #require(files.first { $0.path.hasSuffix("EmbeddingSnippet.swift") })
        var body = Array(embedding.lines.drop { !$0.hasPrefix("func connectBlue") }.prefix(3))
        #expect(embedding.contains(body))
        body[1] = body[1].replacingOccurrences(of: "blue", with: "green")
        #expect(!files.contains { $0.contains(body) })
    }
}
