import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// The payloads of limit, statistic, pkttype, mac, ttl, hl, iprange, recent, owner, physdev and rt
/// against the kernel: each rule is loaded with iptables-legacy (ip6tables-legacy) in a throwaway
/// namespace and read back through libiptc; each typed match of the same rule, parsed by natgate,
/// must encode to exactly those payload bytes (padding included) at the same name and revision,
/// and decode from them to itself.
@Suite("Host match payloads are iptables-legacy's", .serialized)
struct HostMatchKernelPayloadTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var family: Family
        var chain: String
        /// The words after `-A CHAIN`, given to iptables-legacy through `/bin/sh`.
        var arguments: String

        init(_ family: Family, _ chain: String, _ arguments: String) {
            self.family = family
            self.chain = chain
            self.arguments = arguments
        }

        var testDescription: String { "\(family == .ipv4 ? "iptables" : "ip6tables")-legacy -A \(chain) \(arguments)" }
    }

    @Test(kernelTests, arguments: [
        Case(.ipv4, "INPUT", "-m limit --limit 5/min -j ACCEPT"),
        Case(.ipv4, "INPUT", "-m limit --limit 60/minute --limit-burst 10"),
        Case(.ipv4, "INPUT", "-m limit --limit 2/day --limit-burst 1"),
        Case(.ipv4, "INPUT", "-m statistic --mode random --probability 0.1 -j DROP"),
        Case(.ipv4, "INPUT", "-m statistic --mode random ! --probability 0.25"),
        Case(.ipv4, "INPUT", "-m statistic --mode nth ! --every 4 --packet 1"),
        Case(.ipv4, "INPUT", "-m pkttype --pkt-type bcast -j DROP"),
        Case(.ipv4, "INPUT", "-m pkttype ! --pkt-type otherhost"),
        Case(.ipv4, "INPUT", "-m mac --mac-source 0:1:2:a:B:c -j ACCEPT"),
        Case(.ipv4, "INPUT", "-m mac ! --mac-source 00:11:22:33:44:55"),
        Case(.ipv4, "INPUT", "-m ttl --ttl 7"),
        Case(.ipv4, "INPUT", "-m ttl ! --ttl-eq 64 -j DROP"),
        Case(.ipv4, "INPUT", "-m ttl --ttl-gt 200"),
        Case(.ipv4, "INPUT", "-m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.0.2.1"),
        Case(.ipv4, "INPUT", "-m iprange ! --dst-range 10.1-10.2"),
        Case(.ipv4, "INPUT", "-m recent --set"),
        Case(.ipv4, "INPUT", "-m recent --set --name SSH"),
        Case(.ipv4, "INPUT", "-m recent --set --name DEFAULT --mask 255.255.255.255 --rsource"),
        Case(.ipv4, "INPUT", "-p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH -j DROP"),
        Case(.ipv4, "INPUT", "-m recent ! --rcheck --seconds 4294967295 --reap --rttl --mask 255.255.255.0 --rdest"),
        Case(.ipv4, "INPUT", "-m recent --remove --name a-rather-longer-list-name --rsource"),
        Case(.ipv4, "OUTPUT", "-m owner --uid-owner 0 -j ACCEPT"),
        Case(.ipv4, "OUTPUT", "-m owner ! --uid-owner 1000:2000 --gid-owner 5 --suppl-groups ! --socket-exists"),
        Case(.ipv4, "FORWARD", "-m physdev --physdev-in eth0 -j ACCEPT"),
        Case(.ipv4, "FORWARD", "-m physdev ! --physdev-is-in ! --physdev-in eth0 --physdev-out veth+ --physdev-is-out ! --physdev-is-bridged"),
        Case(.ipv4, "INPUT", "-m limit --limit 3/hour -m statistic --mode nth --every 2 --packet 0 -m pkttype --pkt-type multicast"),
        Case(.ipv6, "INPUT", "-m hl --hl-eq 5 -j ACCEPT"),
        Case(.ipv6, "INPUT", "-m hl ! --hl 255"),
        Case(.ipv6, "INPUT", "-m hl --hl-lt 2"),
        Case(.ipv6, "INPUT", "-m rt --rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:DB8:0::2 --rt-0-not-strict"),
        Case(.ipv6, "INPUT", "-m rt ! --rt-type 2 ! --rt-segsleft 3:5 ! --rt-len 8"),
        Case(.ipv6, "INPUT", "-m rt --rt-segsleft 0:4294967295"),
        Case(.ipv6, "INPUT", "-m iprange ! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4"),
        Case(.ipv6, "INPUT", "-m recent --set"),
        Case(.ipv6, "INPUT", "-m recent --rcheck --mask ffff:ffff:: --name v6"),
        Case(.ipv6, "INPUT", "-m limit --limit 7/h -j ACCEPT"),
        Case(.ipv6, "INPUT", "-m statistic --mode random --probability 0.75"),
        Case(.ipv6, "INPUT", "-m mac --mac-source aa:bb:cc:dd:ee:ff"),
        Case(.ipv6, "INPUT", "-m pkttype --pkt-type multicast"),
        Case(.ipv6, "OUTPUT", "-m owner --uid-owner 0-65534"),
        Case(.ipv6, "FORWARD", "-m physdev --physdev-is-bridged"),
    ])
    func payloadsAreIptablesLegacys(_ check: Case) throws {
        let chain = try ChainName(check.chain)
        let rule = try Rule(saveArguments: check.arguments, family: check.family, table: .filter, chain: chain)
        let context = rule.extensionContext(family: check.family, table: .filter, chain: chain)
        let tool = check.family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("\(tool) -w -A \(check.chain) \(check.arguments)")
            let entries = try KernelBackend(family: check.family, namespace: scratch.namespace).rawEntries(.filter).filter { $0.chain == check.chain }
            let entry = try #require(entries.count == 1 ? entries.first : nil)
            #expect(entry.matches.count == rule.matches.count)
            for (match, part) in zip(rule.matches, entry.matches) {
                let codec = try #require(match.base as? any KernelMatchCodec, "\(match.name) has no kernel codec")
                let codecType = type(of: codec)
                #expect(part.name == codecType.kernelName)
                #expect(part.revision == codecType.revision(for: check.family), "\(match.name) revision")
                let kernel = Array(entry.bytes[part.payloadRange])
                var mine = try codec.encodePayload(context: context)
                #expect(mine.count == codecType.payloadSize(for: check.family))
                mine += Array(repeating: 0, count: kernel.count - mine.count)
                #expect(mine == kernel, "\(match.name): natgate \(hex(mine)) | iptables-legacy \(hex(kernel))")
                let decoded = try codecType.decode(payload: ByteReader(kernel), revision: part.revision, context: context)
                #expect(decoded == match, "\(match.name) decoded as \(decoded)")
            }
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }
}
