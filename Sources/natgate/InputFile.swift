import Foundation
import Glibc
import NatgateModel

/// A file a verb reads (policy, iptables-save text), or standard input for nil or `-`.
///
/// Errors are in the input's own words (`cannot read policy.json: no such file`, `… is a
/// directory`, `… is not UTF-8: byte 0xFF at offset 12`), never Foundation's domain and code.
struct InputFile {
    /// The name messages use: the path, or `<stdin>`.
    let name: String
    let data: Data

    /// What went wrong reading the file, said in a sentence.
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    init(_ path: String?) throws(Unreadable) {
        guard let path, path != "-" else {
            name = "<stdin>"
            data = FileHandle.standardInput.readDataToEndOfFile()
            return
        }
        name = path
        let shown = ModelError.quote(path, mark: "")
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            let why: String = switch code {
            case ENOENT: "no such file; check the path"
            case EACCES, EPERM: "permission denied; check the file's permissions or run as a user who may read it"
            case ENOTDIR: "a part of the path is not a directory"
            default: String(cString: strerror(code))
            }
            throw Unreadable(description: "cannot read \(shown): \(why).")
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw Unreadable(description: "cannot read \(shown): it is a directory; give a file.")
        }
        var bytes = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw Unreadable(description: "cannot read \(shown): \(String(cString: strerror(code))).")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        data = bytes
    }

    /// The bytes as text; text that is not UTF-8 is refused, naming the first bad byte, rather
    /// than read with replacement characters.
    func text() throws(Unreadable) -> String {
        if let text = String(validating: data, as: UTF8.self) { return text }
        var iterator = data.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        var line = 1
        while case .valid(let encoded) = parser.parseScalar(from: &iterator) {
            if encoded.count == 1, encoded.first == 0x0A { line += 1 }
            offset += encoded.count
        }
        let bad = data[data.startIndex + offset]
        throw Unreadable(description: "\(ModelError.quote(name, mark: "")):\(line): not UTF-8 text (byte 0x\(String(bad, radix: 16, uppercase: true)) at offset \(offset)); save it as UTF-8.")
    }
}
