import Testing
@testable import NatgateModel

/// Formats one rule (the words after `-A CHAIN`) as iptables-legacy-save prints it.
private func canonical(_ words: String, family: Family = .ipv4, table: TableName? = nil, chain: ChainName? = nil) throws -> String {
    try Rule(saveArguments: words, family: family, table: table, chain: chain).saveArguments(family: family, table: table, chain: chain)
}

/// The error parsing `text` throws, or nil.
private func parseError(_ text: String, family: Family = .ipv4) -> ModelError? {
    do {
        _ = try Ruleset(saveText: text, family: family)
        return nil
    } catch {
        return error as? ModelError
    }
}

@Suite struct SaveTextTokenizerTests {
    @Test(arguments: [
        (#"a b  c"#, ["a", "b", "c"]),
        (#""hello world" x"#, ["hello world", "x"]),
        (#""a\"b\\c" d"#, [#"a"b\c"#, "d"]),
        (#"ab"c d"e"#, ["abc d", "e"]),
        (#""""#, [""]),
        (#"back\slash 'single'"#, [#"back\slash"#, "'single'"]),
        ("tab\tsep", ["tab", "sep"]),
    ])
    func splitsWordsAsIptablesRestore(line: String, words: [String]) throws {
        #expect(try SaveTokenizer.tokenize(line).map(\.text) == words)
    }

    @Test func recordsColumnsAndQuoting() throws {
        let tokens = try SaveTokenizer.tokenize(#"-m comment --comment "x y""#)
        #expect(tokens.map(\.location.column) == [1, 4, 12, 22])
        #expect(tokens.map(\.quoted) == [false, false, false, true])
    }

    @Test func refusesAnUnclosedQuote() {
        #expect(throws: ModelError.self) { try SaveTokenizer.tokenize(#"--comment "open"#) }
    }
}

@Suite struct RuleTextTests {
    @Test(arguments: [
        // Core option order: -s -d -i -o -p -f, then matches, then the target.
        ("-p tcp -o eth1 -i eth0 -d 10.0.0.1 -s 10.0.0.2 -j ACCEPT", "-s 10.0.0.2/32 -d 10.0.0.1/32 -i eth0 -o eth1 -p tcp -j ACCEPT"),
        ("--protocol udp --source 1.2.3.4 --destination 5.6.7.0/24 --jump DROP", "-s 1.2.3.4/32 -d 5.6.7.0/24 -p udp -j DROP"),
        ("--src 1.1.1.1 --dst 2.2.2.2 --in-interface x --out-interface y --fragment --jump DROP", "-s 1.1.1.1/32 -d 2.2.2.2/32 -i x -o y -f -j DROP"),
        // Negations, before the option.
        ("! -s 10.0.0.0/8 ! -d 10.0.0.0/8 ! -i eth0 ! -o eth1 ! -p icmp ! -f", "! -s 10.0.0.0/8 ! -d 10.0.0.0/8 ! -i eth0 ! -o eth1 ! -p icmp ! -f"),
        // The deprecated intrapositioned form of core options.
        ("-s ! 10.0.0.0/8 -i ! eth0", "! -s 10.0.0.0/8 ! -i eth0"),
        // Masks: dotted, host bits cleared, 0.0.0.0/0 omitted unless negated, non-contiguous kept.
        ("-s 10.1.2.3/255.255.255.0", "-s 10.1.2.0/24"),
        ("-s 10.1.2.3/24 -d 0.0.0.0/0", "-s 10.1.2.0/24"),
        ("! -s 0.0.0.0/0", "! -s 0.0.0.0/0"),
        ("-s 1.2.3.4/0.0.0.0", ""),
        ("-s 10.0.0.0/255.0.255.0", "-s 10.0.0.0/255.0.255.0"),
        // Protocols: names from /etc/protocols, numbers, all omitted, case folded.
        ("-p all", ""), ("-p 0", ""), ("-p TCP", "-p tcp"), ("-p 6", "-p tcp"), ("-p 0x11", "-p udp"),
        ("-p 47", "-p gre"), ("-p mh", "-p mobility-header"), ("-p 200", "-p 200"), ("-p ipv6-icmp", "-p ipv6-icmp"),
        // Interfaces: + alone matches everything and is not stored.
        ("-i veth+", "-i veth+"), ("-i +", ""), ("! -o +", ""),
        // Jumps and gotos.
        ("-j MYCHAIN", "-j MYCHAIN"), ("-g MYCHAIN", "-g MYCHAIN"), ("", ""),
        // Long options abbreviated and with '=' as getopt allows.
        ("--proto tcp --in-int eth0 --dport=22", "-i eth0 -p tcp -m tcp --dport 22"),
    ])
    func formatsCoreOptions(input: String, output: String) throws {
        #expect(try canonical(input) == output)
    }

    @Test(arguments: [
        ("-s 2001:db8::1 -d 2001:db8:0:0:0:0:0:0/32 -j ACCEPT", "-s 2001:db8::1/128 -d 2001:db8::/32 -j ACCEPT"),
        ("-s 2001:db8::1/64", "-s 2001:db8::/64"),
        ("-s 2001:db8::/ffff:0:ffff::", "-s 2001::/ffff:0:ffff::"),
        ("! -s ::/0", "! -s ::/0"), ("-s ::/0", ""),
        ("-s ::ffff:1.2.3.4", "-s ::ffff:1.2.3.4/128"),
        ("-p icmpv6", "-p ipv6-icmp"), ("-p 58", "-p ipv6-icmp"), ("-p 44", "-p ipv6-frag"),
    ])
    func formatsIPv6(input: String, output: String) throws {
        #expect(try canonical(input, family: .ipv6) == output)
    }

    @Test func implicitProtocolMatchIsLoadedWhereTheFirstUnknownOptionStands() throws {
        #expect(try canonical("-p tcp --dport 22 -j ACCEPT").hasPrefix("-p tcp -m tcp "))
        #expect(try canonical("-p tcp -m comment --comment x --dport 22 -m comment --comment y").hasPrefix("-p tcp -m comment --comment x -m tcp "))
        // Options of an untyped protocol match are kept verbatim under its name.
        #expect(try canonical("-p sctp --dport 5 -j ACCEPT") == "-p sctp -m sctp --dport 5 -j ACCEPT")
        // An explicit -m of the protocol's match is not loaded twice.
        #expect(try canonical("-p udplite -m udplite --x 1") == "-p udplite -m udplite --x 1")
    }

    @Test func unknownExtensionsKeepTheirWords() throws {
        let rule = try Rule(saveArguments: #"-m string --algo bm ! --string "my set" -j NFLOG --nflog-group 5 --nflog-prefix "a b""#, family: .ipv4)
        let match = try #require(rule.matches.first?.as(UnknownMatch.self))
        #expect(match.extensionName == "string")
        #expect(match.words == ["--algo", "bm", "!", "--string", "my set"])
        guard case .extension(let target)? = rule.target, let unknown = target.as(UnknownTarget.self) else {
            Issue.record("expected an unknown target, got \(String(describing: rule.target))")
            return
        }
        #expect(unknown.words == ["--nflog-group", "5", "--nflog-prefix", "a b"])
        #expect(rule.saveArguments(family: .ipv4) == #"-m string --algo bm ! --string "my set" -j NFLOG --nflog-group 5 --nflog-prefix "a b""#)
    }

    @Test func unknownMatchWordsEndAtACoreOption() throws {
        #expect(try canonical("-m foo --bar 1 ! -s 10.0.0.0/8 -j ACCEPT") == "! -s 10.0.0.0/8 -m foo --bar 1 -j ACCEPT")
    }

    @Test func commaListsExpandIntoRulesInFiles() throws {
        let text = "*filter\n-A INPUT -s 1.2.3.4,5.6.7.8/24 -d 9.9.9.9,8.8.8.8 -j ACCEPT\n-I INPUT 1 -s 1.1.1.1,2.2.2.2\nCOMMIT\n"
        let ruleset = try Ruleset(saveText: text, family: .ipv4)
        #expect(ruleset.saveText() == """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            -A INPUT -s 2.2.2.2/32
            -A INPUT -s 1.1.1.1/32
            -A INPUT -s 1.2.3.4/32 -d 9.9.9.9/32 -j ACCEPT
            -A INPUT -s 1.2.3.4/32 -d 8.8.8.8/32 -j ACCEPT
            -A INPUT -s 5.6.7.0/24 -d 9.9.9.9/32 -j ACCEPT
            -A INPUT -s 5.6.7.0/24 -d 8.8.8.8/32 -j ACCEPT
            COMMIT

            """)
        #expect(throws: ModelError.self) { try Rule(saveArguments: "-s 1.1.1.1,2.2.2.2", family: .ipv4) }
    }
}

@Suite struct SaveTextGrammarTests {
    @Test func countersPrefixDashCAndChainCounters() throws {
        let text = """
            # Generated by iptables-save v1.8.9
            *filter
            :INPUT DROP [10:20]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [3:4]
            :USER - [7:8]

            [1:2] -A INPUT -j USER
            -c 5 6 -A INPUT -j ACCEPT
            -A INPUT -c 9,10 -j DROP
            -A USER
            COMMIT
            # Completed

            """
        #expect(try Ruleset(saveText: text, family: .ipv4).saveText() == """
            *filter
            :INPUT DROP [10:20]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [3:4]
            :USER - [0:0]
            [1:2] -A INPUT -j USER
            [5:6] -A INPUT -j ACCEPT
            [9:10] -A INPUT -j DROP
            -A USER
            COMMIT

            """)
    }

    @Test func chainsPrintBuiltinsInHookOrderThenUserChainsSorted() throws {
        let text = "*nat\n:b - [0:0]\n:POSTROUTING ACCEPT [0:0]\n:A - [0:0]\n:PREROUTING ACCEPT [0:0]\n-A b -j A\n-A A -j RETURN\nCOMMIT\n"
        #expect(try Ruleset(saveText: text, family: .ipv4).saveText() == """
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :A - [0:0]
            :b - [0:0]
            -A A -j RETURN
            -A b -j A
            COMMIT

            """)
    }

    @Test func commandsEditTheTableAsIptablesRestoreWould() throws {
        let text = """
            *filter
            :INPUT ACCEPT [0:0]
            -N X
            -A X -j RETURN
            -A INPUT -s 1.1.1.1 -j X
            -I INPUT -s 2.2.2.2
            -I INPUT 3 -s 3.3.3.3
            -R INPUT 1 -s 4.4.4.4
            -D INPUT -s 3.3.3.3
            -P FORWARD DROP
            -N Y
            -X Y
            COMMIT
            *filter
            -A OUTPUT -o lo
            COMMIT
            *nat
            -A POSTROUTING -o eth0 -j MASQUERADE
            -F
            COMMIT
            """
        let ruleset = try Ruleset(saveText: text, family: .ipv4)
        #expect(ruleset.tables.map(\.name) == [.filter, .nat])
        #expect(ruleset.saveText() == """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            -A OUTPUT -o lo
            COMMIT
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            COMMIT

            """)
        let first = try Ruleset(saveText: text.components(separatedBy: "COMMIT")[0] + "COMMIT\n", family: .ipv4)
        #expect(first.saveText() == """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD DROP [0:0]
            :OUTPUT ACCEPT [0:0]
            :X - [0:0]
            -A INPUT -s 4.4.4.4/32
            -A INPUT -s 1.1.1.1/32 -j X
            -A X -j RETURN
            COMMIT

            """)
    }

    @Test func tablesBuiltInCodePrintEveryBuiltinChain() {
        var table = Table(name: .nat, family: .ipv4, chains: [Chain(name: ChainName(valid: "NATGATE-POST"))])
        table.chains[0].rules = [Rule(outInterface: Negatable(InterfaceName(valid: "eth0")), target: .return)]
        table.chains.append(Chain(name: .postrouting, policy: .accept, rules: [Rule(target: .jump(ChainName(valid: "NATGATE-POST")))]))
        #expect(table.saveText() == """
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :NATGATE-POST - [0:0]
            -A POSTROUTING -j NATGATE-POST
            -A NATGATE-POST -o eth0 -j RETURN
            COMMIT

            """)
    }

    @Test func ipv4OnlyLinesAreSkippedInIPv6Files() throws {
        let text = "*filter\n-A INPUT -4 -s 1.2.3.4 -j DROP\n-A INPUT -6 -s ::1 -j ACCEPT\nCOMMIT\n"
        let ruleset = try Ruleset(saveText: text, family: .ipv6)
        #expect(ruleset.tables.first?.chain(named: .input)?.rules.count == 1)
    }

    @Test(arguments: [
        // (text, line, column, a fragment of the message)
        ("-A INPUT -j ACCEPT\n", 1, 1, "expected a table line such as *filter"),
        ("*filter\n-A INPUT -j ACCEPT\n", 3, 1, "COMMIT expected"),
        ("*filter\n*nat\n", 2, 1, "COMMIT expected"),
        ("*filtre\nCOMMIT\n", 1, 2, "is not a table"),
        ("COMMIT\n", 1, 1, "COMMIT without a table"),
        ("*filter\n:INPUT\nCOMMIT\n", 2, 7, "expected a policy"),
        ("*filter\n:INPUT MAYBE [0:0]\nCOMMIT\n", 2, 8, "not a chain policy"),
        ("*filter\n:INPUT ACCEPT [0:x]\nCOMMIT\n", 2, 15, "[packets:bytes]"),
        ("*filter\n:MINE ACCEPT [0:0]\nCOMMIT\n", 2, 7, "user chain, which has no policy"),
        ("*filter\n:\(String(repeating: "C", count: 29)) - [0:0]\nCOMMIT\n", 2, 2, "the limit is 28"),
        ("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", 2, 4, "there is no chain NOPE"),
        ("*filter\n-A INPUT -s 10.0.0.300 -j ACCEPT\nCOMMIT\n", 2, 13, "is not an IPv4 network"),
        ("*filter\n-A INPUT -s host.example -j ACCEPT\nCOMMIT\n", 2, 13, "Host names are not resolved"),
        ("*filter\n-A INPUT -p tcp --dprot 22 -j ACCEPT\nCOMMIT\n", 2, 17, "unknown option --dprot"),
        ("*filter\n-A INPUT --dport 22 -j ACCEPT\nCOMMIT\n", 2, 10, "did you forget -p tcp"),
        ("*filter\n-A INPUT -p tcp -j ACCEPT -j DROP\nCOMMIT\n", 2, 27, "given twice"),
        ("*filter\n-A INPUT -s\nCOMMIT\n", 2, 10, "needs an address"),
        ("*filter\n-A INPUT ! ! -s 1.2.3.4\nCOMMIT\n", 2, 10, "two '!' in a row"),
        ("*filter\n-A INPUT -s 1.2.3.4 !\nCOMMIT\n", 2, 21, "negates nothing"),
        ("*filter\n-A INPUT ! -j ACCEPT\nCOMMIT\n", 2, 10, "cannot precede -j"),
        ("*filter\n-A INPUT extra\nCOMMIT\n", 2, 10, "unexpected word 'extra'"),
        ("*filter\n-A INPUT -o eth0\nCOMMIT\n", 2, 10, "-o cannot be used in INPUT"),
        ("*filter\n-A INPUT -m comment --comment \"open\nCOMMIT\n", 2, 31, "never closed"),
        ("*filter\n-A INPUT -j MASQUERADE\nCOMMIT\n", 2, 13, "only valid in the nat table"),
        ("*nat\n-A PREROUTING -j DROP\nCOMMIT\n", 2, 18, "not for filtering"),
        ("*filter\n-A INPUT -g INPUT\nCOMMIT\n", 2, 13, "built-in chain"),
        ("*filter\n-A INPUT -g LATER\nCOMMIT\n", 2, 13, "no chain LATER"),
        ("*filter\n-A INPUT -p all ! -p tcp\nCOMMIT\n", 2, 19, "given twice"),
        ("*filter\n-Q INPUT\nCOMMIT\n", 2, 1, "expected a command"),
        ("*filter\n[1:x] -A INPUT\nCOMMIT\n", 2, 1, "[packets:bytes]"),
        ("*filter\n-I INPUT 3 -j DROP\nCOMMIT\n", 2, 10, "inserted at 1 to 1"),
        ("*filter\n-A INPUT -f\nCOMMIT\n", 0, 0, ""),
        ("*filter\n-A INPUT ! -p all\nCOMMIT\n", 2, 15, "would never match"),
        ("*filter\n-A INPUT -m icmp6 --icmpv6-type 1\nCOMMIT\n", 2, 13, "does not exist for IPv4"),
    ])
    func errorsSayWhereAndWhat(text: String, line: Int, column: Int, message: String) {
        let error = parseError(text)
        if line == 0 {
            #expect(error == nil, "\(String(describing: error))")
            return
        }
        #expect(error?.location == SourceLocation(line: line, column: column), "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func ipv6RefusesFragmentFlagAndIPv4Addresses() {
        #expect(parseError("*filter\n-A INPUT -f\nCOMMIT\n", family: .ipv6)?.message.contains("-m frag") == true)
        #expect(parseError("*filter\n-A INPUT -s 10.0.0.1\nCOMMIT\n", family: .ipv6)?.location == SourceLocation(line: 2, column: 13))
    }
}
