import Foundation
import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// Everything natgate refuses leaves the namespace's tables exactly as they were: same text, same
/// entry bytes.
@Suite("Bad input changes nothing")
struct BadInputTests {
    static let preload = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [0:0]
        :OUTPUT ACCEPT [0:0]
        :FOREIGN - [0:0]
        -A FORWARD -j FOREIGN
        -A FOREIGN -i docker0 -m comment --comment "someone else's" -j ACCEPT
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :DNAT-ISH - [0:0]
        -A PREROUTING -j DNAT-ISH
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        COMMIT

        """

    /// The state a refused change must leave untouched.
    struct Snapshot: Equatable {
        var text: String
        var entries: [[UInt8]]

        init(_ scratch: ThrowawayNamespace) throws {
            text = try scratch.shell("iptables-legacy-save -t filter; iptables-legacy-save -t nat").withoutCommentLines
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace)
            entries = try (backend.rawEntries(.filter) + backend.rawEntries(.nat)).map { $0.comparableBytes() }
        }
    }

    enum BadChange: String, CaseIterable, Sendable {
        case masqueradeInFilter
        case masqueradeReachedFromPrerouting
        case untypedMatchFromText
        case untypedTargetFromText
        case jumpToMissingChain
        case jumpToBuiltinChain
        case builtinChainRemoved
        case policyOnUserChain
        case ipv6AddressInIPv4Rule
        case fragmentInIPv6
    }

    @Test("a refused update leaves the tables byte-identical", kernelTests, arguments: BadChange.allCases)
    func refusedUpdate(_ change: BadChange) throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy-restore", input: Self.preload)
            let before = try Snapshot(scratch)
            let family: Family = change == .fragmentInIPv6 ? .ipv6 : .ipv4
            let backend = KernelBackend(family: family, namespace: scratch.namespace)
            let error = #expect(throws: KernelError.self) {
                try backend.update(tables: [.nat, .filter]) { tables in
                    switch change {
                    case .masqueradeInFilter:
                        tables[.filter]![chain: .forward]!.rules.append(masqueradeRule)
                    case .masqueradeReachedFromPrerouting:
                        tables[.nat]![chain: try ChainName("DNAT-ISH")]!.rules.append(masqueradeRule)
                    case .untypedMatchFromText:
                        tables[.filter]![chain: .forward]!.rules.append(try Rule(saveArguments: "-m natgatenosuchmatch --flag 1 -j ACCEPT", family: .ipv4))
                    case .untypedTargetFromText:
                        tables[.filter]![chain: .forward]!.rules.append(try Rule(saveArguments: "-j NATGATENOSUCH --flag 1", family: .ipv4, table: .filter))
                    case .jumpToMissingChain:
                        tables[.filter]![chain: .forward]!.rules.append(Rule(target: .jump(try ChainName("NOPE"))))
                    case .jumpToBuiltinChain:
                        tables[.filter]![chain: .forward]!.rules.append(Rule(target: .jump(.input)))
                    case .builtinChainRemoved:
                        tables[.filter]![chain: .output] = nil
                    case .policyOnUserChain:
                        tables[.filter]![chain: try ChainName("FOREIGN")]!.policy = .drop
                    case .ipv6AddressInIPv4Rule:
                        tables[.filter]![chain: .forward]!.rules.append(Rule(source: Negatable(try IPNetwork("fd00::/8")), target: .accept))
                    case .fragmentInIPv6:
                        tables[.filter]![chain: .forward]!.rules.append(Rule(fragment: .fragmentsOnly, target: .accept))
                    }
                }
            }
            #expect(error?.kind == .refused)
            #expect(error?.operation.table != nil)
            #expect(try Snapshot(scratch) == before)
        }
    }

    @Test("messages say what to do", kernelTests)
    func messagesSayWhatToDo() throws {
        try ThrowawayNamespace.with { scratch in
            let backend = KernelBackend(family: .ipv4, namespace: scratch.namespace)
            let masquerade = #expect(throws: KernelError.self) {
                try backend.update(table: .filter) { $0[chain: .forward]!.rules.append(masqueradeRule) }
            }
            #expect(masquerade?.description.contains("not allowed in the filter table; the kernel accepts it only in nat") == true)
            #expect(masquerade?.operation.chain == "FORWARD")
            #expect(masquerade?.operation.rulePosition == 1)
            let untyped = #expect(throws: KernelError.self) {
                try backend.update(table: .filter) { $0[chain: .forward]!.rules.append(try Rule(saveArguments: "-m natgatenosuchmatch -j ACCEPT", family: .ipv4)) }
            }
            #expect(untyped?.description.contains("came from text, not from the kernel") == true)
        }
    }
}
