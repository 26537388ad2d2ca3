import Foundation
@testable import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// `-m set` written by natgate leaves the kernel holding the bytes iptables-legacy leaves, and
/// reads back as the rule it was. Both namespaces first get the same sets in the same order
/// (`ipset create`), so the set indexes the entries store are the same; the match's set is the
/// second one, so its index is not 0.
@Suite(.serialized) struct SetMatchByteIdentityTests {
    static let sets = "ipset create natgate-other hash:net,iface && ipset create s4 hash:net,iface && ipset create s6 hash:net,iface family inet6"

    @Test(kernelTests, arguments: [
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-m set --match-set s4 src,dst -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-m set --match-set s4 dst,src -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-m set ! --match-set s4 dst,src -j DROP"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-m set --match-set s4 src,dst -j MASQUERADE"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD",
                         "-m set --match-set s4 src --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 5 ! --bytes-eq 7 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-m set --match-set s4 src,dst,src --packets-lt 5 --bytes-gt 9 -m set --match-set natgate-other dst -j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "FORWARD", "-m set --match-set s6 src,dst -j ACCEPT"),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-m set --match-set s6 src,dst -j MASQUERADE"),
    ])
    func setMatchIsByteIdentical(_ check: ByteIdentityCase) throws {
        try Self.verify(check)
    }

    @Test(kernelTests) func aMissingSetIsRefusedByName() throws {
        try ThrowawayNamespace.with { scratch in
            let rule = try Rule(saveArguments: "-m set --match-set nowhere src,dst -j ACCEPT", family: .ipv4, table: .filter, chain: .forward)
            let error = #expect(throws: KernelError.self) {
                try KernelBackend(family: .ipv4, namespace: scratch.namespace).update(table: .filter) { $0[chain: .forward]!.rules.append(rule) }
            }
            #expect(error?.description.contains("No ip set 'nowhere' exists") == true, "\(error.map(String.init(describing:)) ?? "")")
            #expect(try scratch.shell("iptables-legacy-save -t filter").contains("-A FORWARD") == false)
        }
    }

    @Test(kernelTests) func aSetOfTheOtherFamilyIsRefused() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell(Self.sets)
            let rule = try Rule(saveArguments: "-m set --match-set s4 src,dst -j ACCEPT", family: .ipv6, table: .filter, chain: .forward)
            let error = #expect(throws: KernelError.self) {
                try KernelBackend(family: .ipv6, namespace: scratch.namespace).update(table: .filter) { $0[chain: .forward]!.rules.append(rule) }
            }
            #expect(error?.description.contains("holds IPv4 addresses") == true, "\(error.map(String.init(describing:)) ?? "")")
        }
    }

    /// As `ByteIdentityCase.verify`, with the same ip sets created in both namespaces first.
    static func verify(_ check: ByteIdentityCase, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let tool = check.family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        let chainName = try ChainName(check.chain)
        let rule = try Rule(saveArguments: check.arguments, family: check.family, table: check.table, chain: chainName)
        try ThrowawayNamespace.with { legacy in
            try ThrowawayNamespace.with { natgate in
                try legacy.shell(sets)
                try natgate.shell(sets)
                try legacy.shell("\(tool) -w -t \(check.table) -A \(check.chain) \(check.arguments)")
                let backend = KernelBackend(family: check.family, namespace: natgate.namespace)
                try backend.update(table: check.table) { $0[chain: chainName]!.rules.append(rule) }

                let expected = try KernelBackend(family: check.family, namespace: legacy.namespace).rawEntries(check.table).filter { $0.chain == check.chain }
                let actual = try backend.rawEntries(check.table).filter { $0.chain == check.chain }
                #expect(actual.count == expected.count, sourceLocation: sourceLocation)
                for (mine, theirs) in zip(actual, expected) {
                    #expect(mine.comparableBytes() == theirs.comparableBytes(), """
                        entry bytes differ from iptables-legacy's (natgate | iptables-legacy):
                        \(ByteIdentityCase.diff(mine.comparableBytes(), theirs.comparableBytes()))
                        """, sourceLocation: sourceLocation)
                }
                let decoded = try KernelBackend(family: check.family, namespace: legacy.namespace).read(check.table)[chain: chainName]?.rules.first
                #expect(decoded?.withoutCounters == rule.withoutCounters, "decoded as \(decoded.map { $0.saveArguments(family: check.family) } ?? "nothing")", sourceLocation: sourceLocation)
                let saveLegacy = try legacy.shell("\(tool)-save -t \(check.table)").withoutCommentLines
                let saveNatgate = try natgate.shell("\(tool)-save -t \(check.table)").withoutCommentLines
                #expect(saveNatgate == saveLegacy, sourceLocation: sourceLocation)
            }
        }
    }
}
