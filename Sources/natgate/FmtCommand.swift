import ArgumentParser
import Foundation
import Glibc
import NatgateModel

/// `natgate fmt [FILE] [--check] [-4|-6]`: prints iptables-save text in its canonical form.
struct FmtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Print iptables-save text in the canonical form iptables-legacy-save prints.",
        discussion: """
            Reads iptables-save or iptables-restore text and prints exactly what iptables-legacy-save \
            would print after loading it (without its '#' lines): option order, implicit '-m tcp', \
            address and mask forms, quoting. Counters are kept as given. Reads nothing from the kernel.

            Exit status: 0 on success (with --check: the input is canonical), 1 with --check when \
            the input is not canonical, 2 when the input cannot be parsed (the message says \
            FILE:LINE:COLUMN and what was expected).
            """
    )

    @Argument(help: "The file to read. Standard input when omitted or '-'.")
    var file: String?

    @Flag(help: "Print nothing; exit 1 when the input is not already canonical. '#' comment lines are ignored.")
    var check = false

    @Flag(name: .customShort("4"), help: "Read IPv4 rules (iptables-save). Default: IPv6 when the text holds an IPv6 address, else IPv4.")
    var ipv4 = false

    @Flag(name: .customShort("6"), help: "Read IPv6 rules (ip6tables-save).")
    var ipv6 = false

    func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("-4 and -6 exclude each other: give at most one.") }
    }

    func run() throws {
        let (name, text) = try readInput(file, command: "fmt")
        let family: Family = ipv4 ? .ipv4 : ipv6 ? .ipv6 : SaveTextFamily.guess(text)

        let canonical: [UInt8]
        do {
            // The lean parse prints large files without a model rule per line; a text that edits
            // rules it gave earlier goes through the model.
            if let lean = try LeanRuleset(saveText: text, family: family) {
                canonical = lean.saveText()
            } else {
                canonical = Array(try Ruleset(saveText: text, family: family).saveText().utf8)
            }
        } catch let error as ModelError {
            let place = error.location.map { "\(name):\($0.line):\($0.column)" } ?? name
            FileHandle.standardError.write(Data("\(place): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        if check {
            let input = SaveTextFamily.withoutCommentLines(Array(text.utf8))
            if input != canonical {
                let line = SaveTextFamily.firstDifferentLine(String(decoding: input, as: UTF8.self), String(decoding: canonical, as: UTF8.self))
                FileHandle.standardError.write(Data("\(name):\(line): not in canonical form (run natgate fmt to see it)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        FileHandle.standardOutput.write(Data(canonical))
    }
}

/// Helpers for reading iptables-save text whose family is not given.
enum SaveTextFamily {
    /// IPv6 when any word of the text (or a comma-separated part of one, brackets and a port
    /// removed) is an IPv6 address or network; IPv4 otherwise.
    static func guess(_ text: String) -> Family {
        func isSeparator(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: ","): true
            default: false
            }
        }
        // One pass over the bytes; only words holding a ':' are looked at further.
        var text = text
        let words: [[UInt8]] = text.withUTF8 { bytes in
            var words: [[UInt8]] = []
            var index = 0
            let count = bytes.count
            while index < count {
                // Most words have no ':': find the next one (memchr), then the word around it.
                guard let found = memchr(bytes.baseAddress! + index, Int32(UInt8(ascii: ":")), count - index) else { break }
                let colon = bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                var start = colon
                while start > index, !isSeparator(bytes[start - 1]) { start -= 1 }
                var end = colon
                while end < count, !isSeparator(bytes[end]) { end += 1 }
                words.append(Array(bytes[start..<end]))
                index = end
            }
            return words
        }
        for word in words {
            var candidate = Substring(String(decoding: word, as: UTF8.self))
            if candidate.hasPrefix("[") {
                candidate = candidate.dropFirst()
                if let close = candidate.firstIndex(of: "]") { candidate = candidate[..<close] }
            }
            if (try? IPNetwork(String(candidate), family: .ipv6, strict: false)) != nil { return .ipv6 }
            if let dash = candidate.firstIndex(of: "-"), (try? IPNetwork(String(candidate[..<dash]), family: .ipv6, strict: false)) != nil {
                return .ipv6
            }
        }
        return .ipv4
    }

    /// The text without its `#` lines, as iptables-save's output is compared.
    static func withoutCommentLines(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { bytes in
            var start = 0
            while start <= bytes.count {
                // memchr: a byte loop over megabytes showed in `fmt --check`'s profile.
                let end = start == bytes.count ? start
                    : memchr(bytes.baseAddress! + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
                        .map { bytes.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? bytes.count
                if end == start || bytes[start] != UInt8(ascii: "#") {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                    out.append(UInt8(ascii: "\n"))
                }
                start = end + 1
            }
        }
        if !out.isEmpty { out.removeLast() }
        return out
    }

    /// The 1-based number of the first line where the two texts differ.
    static func firstDifferentLine(_ a: String, _ b: String) -> Int {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<min(left.count, right.count) where left[index] != right[index] { return index + 1 }
        return min(left.count, right.count) + 1
    }
}

/// The text of FILE, or of standard input for none or `-`, with the name messages use for it; a
/// file that cannot be read, or is not UTF-8, ends `natgate COMMAND` with status 2, saying why.
func readInput(_ file: String?, command: String) throws -> (name: String, text: String) {
    do {
        let input = try InputFile(file)
        return (input.name, try input.text())
    } catch {
        FileHandle.standardError.write(Data("natgate \(command): \(error)\n".utf8))
        throw ExitCode(2)
    }
}
