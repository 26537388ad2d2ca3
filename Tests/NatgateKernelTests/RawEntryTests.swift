import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

@Suite("Raw entries")
struct RawEntryTests {
    @Test("rawEntries returns the bytes iptables-legacy wrote, split at matches and target", kernelTests)
    func readsWhatIptablesLegacyWrote() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy -t nat -A POSTROUTING -o eth0 -m comment --comment hi -j MASQUERADE")
            try scratch.shell("iptables-legacy -t nat -A POSTROUTING -s 10.0.0.0/8 -j ACCEPT")
            let entries = try KernelBackend(family: .ipv4, namespace: scratch.namespace).rawEntries(.nat)
            #expect(entries.map(\.chain) == ["POSTROUTING", "POSTROUTING"])
            let masquerade = try #require(entries.first)
            #expect(masquerade.matches.map(\.name) == ["comment"])
            #expect(masquerade.target.name == "MASQUERADE")
            #expect(masquerade.targetLabel == "MASQUERADE")
            // 112 header + (32 + 256) comment + (32 + 24) MASQUERADE (20 bytes padded to 24).
            #expect(masquerade.bytes.count == 112 + 288 + 56)
            // "eth0" and a mask of 0xFF over the name and its NUL.
            #expect(Array(masquerade.bytes[32..<37]) == Array("eth0".utf8) + [0])
            #expect(Array(masquerade.bytes[64..<70]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0])
            let accept = entries[1]
            #expect(accept.target.name == "")
            #expect(accept.targetLabel == "ACCEPT")
            #expect(accept.target.range.count == 40)
            #expect(accept.hexDump.contains("target standard revision 0, 40 bytes"))
        }
    }
}
