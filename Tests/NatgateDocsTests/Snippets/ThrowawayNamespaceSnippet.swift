// ThrowawayNamespace's doc comment, verbatim: a real test, run in a namespace of its own.
import NatgateKernel
import NatgateLab
import NatgateModel
import Testing

@Test(.enabled(if: ThrowawayNamespace.isSupported, Comment(rawValue: ThrowawayNamespace.unsupportedReason ?? "")))
func aRuleAddedByIptablesReadsBack() throws {
    try ThrowawayNamespace.with { scratch in
        try scratch.shell("iptables-legacy -t nat -A POSTROUTING -o eth0 -j MASQUERADE")
        let table = try KernelBackend(family: .ipv4, namespace: scratch.namespace).read(.nat)
        #expect(table[chain: .postrouting]?.rules.count == 1)
    }
}
