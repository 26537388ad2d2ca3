import NatgateModel

/// Builds a target from its option words as they follow `-j NAME`, the way a rule parser would:
/// each option takes the number of words its `ExtensionOption` declares; `!` negates the next one.
func target<T: TargetExtension>(
    _ type: T.Type, _ words: [String], family: Family = .ipv4, protocol ipProtocol: IPProtocol? = nil,
    table: TableName? = nil, chain: ChainName? = nil
) throws -> T {
    let context = ExtensionContext(family: family, ipProtocol: ipProtocol, table: table, chain: chain)
    var value = T()
    var index = 0
    while index < words.count {
        var negated = false
        if words[index] == "!" {
            negated = true
            index += 1
        }
        let name = words[index]
        let count = T.option(named: name)?.argumentCount ?? 0
        let arguments = Array(words[(index + 1)..<min(words.count, index + 1 + count)])
        try value.parse(ParsedOption(name: name, negated: negated, arguments: arguments), context: context)
        index += 1 + count
    }
    try value.validate(context: context)
    return value
}

/// `words` split at spaces, for options without quoted arguments.
func target<T: TargetExtension>(
    _ type: T.Type, _ words: String, family: Family = .ipv4, protocol ipProtocol: IPProtocol? = nil,
    table: TableName? = nil, chain: ChainName? = nil
) throws -> T {
    try target(type, words.split(separator: " ").map(String.init), family: family, protocol: ipProtocol, table: table, chain: chain)
}

/// What iptables-save prints after `-j NAME`, without the leading space.
func saved<T: TargetExtension>(_ value: T, family: Family = .ipv4, protocol ipProtocol: IPProtocol? = nil) -> String {
    var writer = SaveWriter()
    value.save(to: &writer, context: ExtensionContext(family: family, ipProtocol: ipProtocol))
    return String(writer.text.dropFirst())
}
