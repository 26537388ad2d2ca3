/// One step of a path into a JSON document: an object's key or an array's index.
enum JSONPathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)

    /// `gateways[1].snatTo`, or "the top level" for the empty path.
    static func text(_ path: [JSONPathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .index(let index): text += "[\(index)]"
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            }
        }
        return text.isEmpty ? "the top level" : text
    }
}
