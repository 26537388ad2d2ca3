@testable import NatgateModel

/// Builds typed matches from option words as a rule line would give them, for the match tests.
enum MatchWords {
    /// Parses `words` (space-separated, `!` before a negated option) into `type`, then validates it.
    static func parse<M: MatchExtension>(
        _ type: M.Type, _ words: String, family: Family = .ipv4, ipProtocol: IPProtocol? = nil
    ) throws -> M {
        let context = ExtensionContext(family: family, ipProtocol: ipProtocol)
        var match = M()
        var tokens = words.split(separator: " ").map(String.init)[...]
        while let first = tokens.first {
            tokens = tokens.dropFirst()
            var negated = false
            var name = first
            if first == "!" {
                negated = true
                name = tokens.first ?? ""
                tokens = tokens.dropFirst()
            }
            let count = M.option(named: name)?.argumentCount ?? 1
            let arguments = Array(tokens.prefix(count))
            tokens = tokens.dropFirst(count)
            try match.parse(ParsedOption(name: name, negated: negated, arguments: arguments), context: context)
        }
        try match.validate(context: context)
        return match
    }

    /// What iptables-legacy-save prints after `-m NAME`, without the leading space.
    static func save<M: MatchExtension>(_ match: M, family: Family = .ipv4, ipProtocol: IPProtocol? = nil) -> String {
        var writer = SaveWriter()
        match.save(to: &writer, context: ExtensionContext(family: family, ipProtocol: ipProtocol))
        return String(writer.text.dropFirst())
    }

    /// Parses and saves: the canonical words for `words`.
    static func canonical<M: MatchExtension>(
        _ type: M.Type, _ words: String, family: Family = .ipv4, ipProtocol: IPProtocol? = nil
    ) throws -> String {
        save(try parse(type, words, family: family, ipProtocol: ipProtocol), family: family, ipProtocol: ipProtocol)
    }

    /// The ModelError parsing `words` throws, or nil when it parses.
    static func error<M: MatchExtension>(
        _ type: M.Type, _ words: String, family: Family = .ipv4, ipProtocol: IPProtocol? = nil
    ) -> ModelError? {
        do {
            _ = try parse(type, words, family: family, ipProtocol: ipProtocol)
            return nil
        } catch let error as ModelError {
            return error
        } catch {
            return nil
        }
    }
}
