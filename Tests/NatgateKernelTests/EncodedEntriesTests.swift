@testable import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// `KernelBackend.entries(for:table:chain:)`, the encoder on its own (what the benchmarks time),
/// gives the bytes iptables-legacy leaves in the kernel for the same rules.
@Suite("Encoded entries without a commit")
struct EncodedEntriesTests {
    static let gatewayRules: [(TableName, String, String)] = [
        (.filter, "NATGATE-FORWARD", "-s 10.0.1.0/24 -o eth0 -m comment --comment \"natgate 10.0.1.0/24 eth0\" -j ACCEPT"),
        (.filter, "NATGATE-FORWARD", "-d 10.0.1.0/24 -i eth0 -m comment --comment \"natgate 10.0.1.0/24 eth0\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        (.nat, "NATGATE-POSTROUTING", "-s 10.0.1.0/24 -o eth0 -m comment --comment \"natgate 10.0.1.0/24 eth0\" -j MASQUERADE"),
    ]

    @Test(kernelTests)
    func gatewayRulesMatchIptablesLegacy() throws {
        try ThrowawayNamespace.with { legacy in
            for (table, chain, arguments) in Self.gatewayRules {
                _ = try? legacy.shell("iptables-legacy -w -t \(table) -N \(chain)")
                try legacy.shell("iptables-legacy -w -t \(table) -A \(chain) \(arguments)")
            }
            let backend = KernelBackend(family: .ipv4, namespace: legacy.namespace)
            for table in [TableName.filter, .nat] {
                let cases = Self.gatewayRules.filter { $0.0 == table }
                let chain = try ChainName(cases[0].1)
                let rules = try cases.map { try Rule(saveArguments: $0.2, family: .ipv4, table: table, chain: chain) }
                let encoded = try backend.entries(for: rules, table: table, chain: chain)
                let expected = try backend.rawEntries(table).filter { $0.chain == chain.rawValue }
                #expect(encoded.count == expected.count)
                for (bytes, theirs) in zip(encoded, expected) {
                    let mine = try RawEntry(family: .ipv4, table: table, chain: chain.rawValue, position: theirs.position, bytes: bytes, targetLabel: theirs.targetLabel)
                    // A standard target (ACCEPT) leaves natgate named after its verdict; libiptc
                    // turns the name into the verdict number when it builds the table. Everything
                    // before it, and any other target, must be the kernel's bytes exactly.
                    let compared = mine.target.name == "ACCEPT" ? mine.target.range.lowerBound : mine.bytes.count
                    #expect(mine.bytes.count == theirs.bytes.count)
                    #expect(mine.target.range == theirs.target.range)
                    #expect(
                        mine.comparableBytes().prefix(compared) == theirs.comparableBytes().prefix(compared),
                        "\(table) \(chain) rule \(theirs.position):\n\(mine.hexDump)\n\(theirs.hexDump)")
                }
            }
        }
    }

    @Test
    func refusesWhatUpdateRefuses() throws {
        let backend = KernelBackend(family: .ipv4)
        // An extension the model keeps by name only: nothing to write to the kernel.
        let rule = try Rule(saveArguments: "-m frobnicate --level 3 -j ACCEPT", family: .ipv4, table: .filter, chain: .forward)
        let error = #expect(throws: KernelError.self) {
            _ = try backend.entries(for: [rule], table: .filter, chain: .forward)
        }
        #expect(error?.kind == .refused)
    }
}
