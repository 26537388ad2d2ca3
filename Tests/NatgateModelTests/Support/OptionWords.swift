@testable import NatgateModel

/// Builds a match from the option words after `-m NAME`, the way a rule parser hands options to an
/// extension: `!` negates the next option, each option takes as many words as it declares.
/// Words are split on spaces; none of the tests needs quoting.
func loadMatch<T: MatchExtension>(
    _ type: T.Type, _ text: String, family: Family = .ipv4, chain: ChainName? = nil, validate: Bool = true
) throws -> T {
    let context = ExtensionContext(family: family, chain: chain)
    var match = T()
    var words = text.split(separator: " ").map(String.init)[...]
    while let word = words.popFirst() {
        var name = word
        var negated = false
        if word == "!" {
            negated = true
            guard let next = words.popFirst() else { throw ModelError(.syntax, input: text, "'!' at the end") }
            name = next
        }
        guard let option = T.option(named: name) else {
            throw ModelError(.unknownOption, input: name, "\(T.name) has no option \(name)")
        }
        let arguments = Array(words.prefix(option.argumentCount))
        guard arguments.count == option.argumentCount else {
            throw ModelError(.missingArgument, input: name, "\(name) needs \(option.argumentCount) argument(s)")
        }
        words = words.dropFirst(option.argumentCount)
        try match.parse(ParsedOption(name: name, negated: negated, arguments: arguments), context: context)
    }
    if validate { try match.validate(context: context) }
    return match
}

/// The words iptables-legacy-save prints after `-m NAME`, without the leading space.
func savedWords(_ match: some MatchExtension, family: Family = .ipv4) -> String {
    var writer = SaveWriter()
    match.save(to: &writer, context: ExtensionContext(family: family))
    return String(writer.text.dropFirst())
}

/// The error `body` throws, when it is a `ModelError`.
func modelError(_ body: () throws -> Void) -> ModelError? {
    do { try body() } catch let error as ModelError { return error } catch { return nil }
    return nil
}
