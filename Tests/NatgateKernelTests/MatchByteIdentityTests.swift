import Foundation
import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// Byte identity with iptables-legacy 1.8.9: each rule is added with `iptables-legacy -A INPUT` in a
/// throwaway namespace; the rules `iptables-legacy-save` then prints are parsed by natgate, their
/// matches encoded, and the payloads compared with the bytes the kernel holds (padding included).
/// Decoding those bytes must give back the parsed match.
@Suite struct MatchByteIdentityTests {
    static let ipv4: [String] = [
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-m conntrack --ctstate established,related,new,invalid,untracked,snat,dnat",
        "-m conntrack ! --ctstate NEW",
        // One state at a time, so that each state's bit is checked on its own.
        "-m conntrack --ctstate RELATED",
        "-m conntrack --ctstate ESTABLISHED",
        "-m conntrack ! --ctstate DNAT -j DROP",
        "-m state --state RELATED",
        "-m conntrack --ctdir REPLY --ctstate NEW --ctexpire 5 --ctstatus ASSURED --ctproto tcp --ctorigdstport 22 --ctorigsrc 1.2.3.4",
        "-m conntrack --ctorigsrc 10.0.0.0/8 --ctorigdst 10.1.2.3 ! --ctreplsrc 10.0.0.0/255.255.0.0 --ctrepldst 0.0.0.0/0",
        "-m conntrack --ctorigsrcport 80 --ctorigdstport 1000:2000 ! --ctreplsrcport :100 --ctrepldstport 100:",
        "-m conntrack ! --ctstatus ASSURED,NONE ! --ctexpire 10:20 --ctdir ORIGINAL",
        "-m state --state NEW -j ACCEPT",
        "-m state ! --state ESTABLISHED,RELATED",
        "-m comment --comment \"hello world\" -j DROP",
        "-s 10.200.1.0/24 -i eth0 -m comment --comment natgate -j ACCEPT",
        "-p tcp --dport 22 -j ACCEPT",
        "-p tcp --destination-port 22 --source-port 1024:65535",
        "-p tcp ! --dport 80 ! --sport 8080",
        "-p tcp --sport 0:65535",
        "-p tcp --syn -j DROP",
        "-p tcp ! --tcp-flags fin,syn,rst,psh,ack,urg fin",
        "-p tcp --tcp-option 5 --tcp-flags ALL SYN --sport 1 --dport 2",
        "-p tcp -m tcp --dport 0x16",
        "-p udp --dport 53 -j ACCEPT",
        "-p udp -m udp --destination-port 53 ! --source-port 1:2",
        "-p udp --dport 010",
        "-p icmp --icmp-type echo-request -j ACCEPT",
        "-p icmp ! --icmp-type any",
        "-p icmp --icmp-type port-unreachable",
        "-p tcp -m multiport --dports 22,80,443 -j ACCEPT",
        "-p tcp -m multiport ! --sports 1000:2000,3000",
        "-p udp -m multiport --ports 53,67:68",
        "-p tcp -m multiport --dports 0x50,010",
        "-m addrtype --dst-type LOCAL -j ACCEPT",
        "-m addrtype ! --dst-type local,unicast,Broadcast --src-type BLACKHOLE",
        "-m addrtype --dst-type LOCAL --limit-iface-in",
        "-m mark --mark 1",
        "-m mark ! --mark 0x10/0xff",
        "-m connmark --mark 0xABC/0XFF00 -j ACCEPT",
        "-p tcp -m conntrack --ctstate NEW -m multiport --dports 80,443 -m comment --comment web -j ACCEPT",
        "-m conntrack --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT ! --ctproto tcp --ctorigsrc 10.0.0.1/8 ! --ctorigdst 192.168.1.0/24 --ctreplsrc 1.2.3.4 --ctrepldst 0.0.0.0/0 --ctorigsrcport 80 ! --ctorigdstport 1000:2000 --ctreplsrcport 1 --ctrepldstport 2:3 ! --ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED --ctexpire 10:20 --ctdir REPLY",
        "-m state ! --state INVALID,UNTRACKED",
        "-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14:20",
        "-m comment --comment \"h\\\\\\\"q'\"",
        "-m mark --mark 0/0",
        "-p sctp -m multiport --ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
    ]

    /// Rules whose iptables-save text loses part of what the kernel holds (iptables prints the lower
    /// ICMP code only, nothing for a negated 0:65535, `any` for type 255 whatever the code).
    /// Decoding their bytes must keep everything, so that encoding gives the same bytes back.
    static let lossy: [String] = [
        "-p icmp --icmp-type 3/1:2",
        "-p tcp ! --sport 0:65535",
        "-p icmp --icmp-type 255/3",
    ]

    static let ipv6: [String] = [
        "-m conntrack --ctorigsrc fd00::/64 ! --ctorigdst ::1 --ctreplsrc fd00::1/64 --ctrepldst ::/0",
        "-m conntrack --ctorigsrc fd00::/ffff:ffff:: --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-m conntrack --ctstate ESTABLISHED",
        "-m conntrack ! --ctstate DNAT -j DROP",
        "-m state --state NEW",
        "-p icmpv6 --icmpv6-type echo-request -j ACCEPT",
        "-p ipv6-icmp -m icmp6 ! --icmpv6-type 1/3",
        "-p icmpv6 --icmpv6-type neighbor-solicitation",
        "-p tcp --dport 22",
        "-p udp -m multiport --dports 546:547",
        "-m addrtype --src-type MULTICAST,ANYCAST,LOCAL,UNICAST,UNSPEC",
        "-m mark --mark 0x2/0x2 -j DROP",
    ]

    @Test(kernelTests, arguments: [Family.ipv4, .ipv6])
    func payloadsAreWhatIptablesLegacyWrote(family: Family) throws {
        let tool = family == .ipv4 ? "iptables-legacy" : "ip6tables-legacy"
        let rules = family == .ipv4 ? Self.ipv4 : Self.ipv6
        try ThrowawayNamespace.with { scratch in
            for words in rules { _ = try scratch.shell("\(tool) -w -A INPUT \(words)") }
            let saved = try scratch.shell("\(tool)-save -t filter")
            let table = try Table(saveText: saved, family: family)
            let parsed = try #require(table.chains.first { $0.name == .input }).rules
            let entries = try KernelBackend(family: family, namespace: scratch.namespace).rawEntries(.filter).filter { $0.chain == "INPUT" }
            #expect(parsed.count == rules.count)
            #expect(entries.count == rules.count)
            var compared = 0
            for (index, (rule, entry)) in zip(parsed, entries).enumerated() {
                #expect(rule.matches.count == entry.matches.count, "rule \(index + 1): \(rules[index])")
                let context = rule.extensionContext(family: family, table: .filter, chain: .input)
                for (match, stored) in zip(rule.matches, entry.matches) {
                    let kernelBytes = Array(entry.bytes[stored.payloadRange])
                    guard let codec = match.base as? any KernelMatchCodec else {
                        Issue.record("rule \(index + 1): -m \(match.name) has no kernel codec")
                        continue
                    }
                    #expect(type(of: codec).kernelName == stored.name, "rule \(index + 1)")
                    #expect(type(of: codec).revision(for: family) == stored.revision, "rule \(index + 1): \(stored.name)")
                    var payload = try codec.encodePayload(context: context)
                    while payload.count % 8 != 0 { payload.append(0) }
                    #expect(payload == kernelBytes, "rule \(index + 1): \(rules[index])\n\(MatchGolden.diff(payload, kernelBytes))")
                    let decoder = try #require(KernelCodecRegistry.standard.matchCodec(kernelName: stored.name, revision: stored.revision, family: family))
                    #expect(try decoder.decode(payload: ByteReader(kernelBytes), revision: stored.revision, context: context) == match, "rule \(index + 1)")
                    compared += 1
                }
            }
            #expect(compared >= rules.count)
        }
    }

    @Test(kernelTests)
    func lossyRulesDecodeToTheirFullKernelValue() throws {
        try ThrowawayNamespace.with { scratch in
            for words in Self.lossy { _ = try scratch.shell("iptables-legacy -w -A INPUT \(words)") }
            let entries = try KernelBackend(family: .ipv4, namespace: scratch.namespace).rawEntries(.filter).filter { $0.chain == "INPUT" }
            #expect(entries.count == Self.lossy.count)
            for (words, entry) in zip(Self.lossy, entries) {
                let context = ExtensionContext(family: .ipv4, ipProtocol: words.contains("tcp") ? .tcp : .icmp, table: .filter, chain: .input)
                for stored in entry.matches {
                    let kernelBytes = Array(entry.bytes[stored.payloadRange])
                    let codec = try #require(KernelCodecRegistry.standard.matchCodec(kernelName: stored.name, revision: stored.revision, family: .ipv4))
                    let match = try codec.decode(payload: ByteReader(kernelBytes), revision: stored.revision, context: context)
                    let reencoded = try #require(match.base as? any KernelMatchCodec)
                    var payload = try reencoded.encodePayload(context: context)
                    while payload.count % 8 != 0 { payload.append(0) }
                    #expect(payload == kernelBytes, "\(words)\n\(MatchGolden.diff(payload, kernelBytes))")
                }
            }
        }
    }

    @Test(kernelTests)
    func aSlash32ConntrackAddressIsWrittenInItsCanonicalForm() throws {
        // iptables-legacy writes `--ctreplsrc 1.2.3.4/32` with a 4-byte mask and `1.2.3.4` with a
        // 16-byte one; both print as `1.2.3.4` and the kernel reads only 4 bytes of an IPv4 mask.
        // natgate writes the canonical form's bytes: they differ from the /32 form only there.
        try ThrowawayNamespace.with { scratch in
            _ = try scratch.shell("iptables-legacy -w -A INPUT -m conntrack --ctreplsrc 1.2.3.4/32")
            _ = try scratch.shell("iptables-legacy -w -A INPUT -m conntrack --ctreplsrc 1.2.3.4")
            let entries = try KernelBackend(family: .ipv4, namespace: scratch.namespace).rawEntries(.filter).filter { $0.chain == "INPUT" }
            let payloads = entries.map { entry in Array(entry.bytes[entry.matches[0].payloadRange]) }
            let context = ExtensionContext(family: .ipv4, table: .filter, chain: .input)
            let decoded = try payloads.map { try ConntrackMatch.decode(payload: ByteReader($0), revision: 3, context: context) }
            #expect(decoded[0] == decoded[1])
            var encoded = try #require(decoded[0].as(ConntrackMatch.self)).encodePayload(context: context)
            while encoded.count % 8 != 0 { encoded.append(0) }
            #expect(encoded == payloads[1])
            let differing = payloads[0].indices.filter { payloads[0][$0] != payloads[1][$0] }
            #expect(differing.allSatisfy { (84..<96).contains($0) })
        }
    }
}
