import Testing
@testable import NatgateModel

/// Whole rules with limit, statistic, pkttype, mac, ttl, hl, iprange, recent, owner, physdev and rt
/// through the rule-line parser and renderer. Each pair is what was given to
/// `iptables-legacy -A CHAIN` (or `ip6tables-legacy`) in a throwaway namespace and what
/// `iptables-legacy-save` then printed after `-A CHAIN` (iptables 1.8.9).
@Suite struct HostMatchRoundTripTests {
    static let ipv4: [(ChainName, String, String)] = [
        (ChainName.input, "-m limit --limit 5/min -j ACCEPT",
         "-m limit --limit 5/min -j ACCEPT"),
        (ChainName.input, "-m limit --limit 60/minute --limit-burst 10 -j LOG",
         "-m limit --limit 1/sec --limit-burst 10 -j LOG"),
        (ChainName.input, "-m limit --limit-b 7",
         "-m limit --limit 3/hour --limit-burst 7"),
        (ChainName.input, "-p tcp --syn -m limit --limit 1/s -j ACCEPT",
         "-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m limit --limit 1/sec -j ACCEPT"),
        (ChainName.input, "-m statistic --mode random --probability 0.1 -j DROP",
         "-m statistic --mode random --probability 0.10000000009 -j DROP"),
        (ChainName.input, "-m statistic --mode nth ! --every 4 --packet 1",
         "-m statistic --mode nth ! --every 4 --packet 1"),
        (ChainName.input, "-m pkttype --pkt-type bcast -j DROP",
         "-m pkttype --pkt-type broadcast -j DROP"),
        (ChainName.input, "-m pkttype ! --pkt-type host",
         "-m pkttype ! --pkt-type unicast"),
        (ChainName.input, "-m mac --mac-source 0:1:2:a:B:c -j ACCEPT",
         "-m mac --mac-source 00:01:02:0a:0b:0c -j ACCEPT"),
        (ChainName.input, "-m mac ! --mac-source 00:11:22:33:44:55",
         "-m mac ! --mac-source 00:11:22:33:44:55"),
        (ChainName.input, "-m ttl --ttl 7",
         "-m ttl --ttl-eq 7"),
        (ChainName.input, "-m ttl ! --ttl-eq 64 -j DROP",
         "-m ttl ! --ttl-eq 64 -j DROP"),
        (ChainName.input, "-m ttl --ttl-lt 2",
         "-m ttl --ttl-lt 2"),
        (ChainName.input, "-m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.0.2.1 -j ACCEPT",
         "-m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.0.2.1-192.0.2.1 -j ACCEPT"),
        (ChainName.input, "-m iprange --dst-range 10.1-10.2",
         "-m iprange --dst-range 10.1.0.0-10.2.0.0"),
        (ChainName.input, "-m recent --set --name SSH",
         "-m recent --set --name SSH --mask 255.255.255.255 --rsource"),
        (ChainName.input, "-p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH -j DROP",
         "-p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH --mask 255.255.255.255 --rsource -j DROP"),
        (ChainName.input, "-m recent ! --rcheck --seconds 4294967295 --reap --rttl --mask 255.255.255.0 --rdest",
         "-m recent ! --rcheck --seconds -1 --reap --rttl --name DEFAULT --mask 255.255.255.0 --rdest"),
        (ChainName.input, "-m recent --remove --name x --rsource",
         "-m recent --remove --name x --mask 255.255.255.255 --rsource"),
        (ChainName.input, "-m limit --limit 3/hour -m statistic --mode random --probability 0.5 -m pkttype --pkt-type multicast",
         "-m limit --limit 3/hour -m statistic --mode random --probability 0.50000000000 -m pkttype --pkt-type multicast"),
        (ChainName.output, "-m owner --uid-owner 0 -j ACCEPT",
         "-m owner --uid-owner 0 -j ACCEPT"),
        (ChainName.output, "-m owner ! --uid-owner 1000:2000 --gid-owner 5 --suppl-groups ! --socket-exists",
         "-m owner ! --socket-exists ! --uid-owner 1000-2000 --gid-owner 5 --suppl-groups"),
        (ChainName.output, "-m owner --socket-exists",
         "-m owner --socket-exists"),
        (ChainName.forward, "-m physdev --physdev-in eth0 -j ACCEPT",
         "-m physdev --physdev-in eth0 -j ACCEPT"),
        (ChainName.forward, "-m physdev ! --physdev-out veth+ --physdev-is-bridged",
         "-m physdev ! --physdev-out veth+ --physdev-is-bridged"),
        (ChainName.forward, "-m physdev --physdev-is-out --physdev-is-in --physdev-out br0 --physdev-in eth1 ! --physdev-is-bridged",
         "-m physdev --physdev-is-in --physdev-in eth1 --physdev-is-out --physdev-out br0 ! --physdev-is-bridged"),
    ]

    static let ipv6: [(ChainName, String, String)] = [
        (ChainName.input, "-m hl --hl-eq 5 -j ACCEPT",
         "-m hl --hl-eq 5 -j ACCEPT"),
        (ChainName.input, "-m hl ! --hl 255",
         "-m hl ! --hl-eq 255"),
        (ChainName.input, "-m hl --hl-gt 1",
         "-m hl --hl-gt 1"),
        (ChainName.input, "-m rt --rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:DB8:0::2 --rt-0-not-strict",
         "-m rt --rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:db8::2 --rt-0-not-strict"),
        (ChainName.input, "-m rt ! --rt-type 2 ! --rt-segsleft 3:5 ! --rt-len 8",
         "-m rt ! --rt-type 2 ! --rt-segsleft 3:5 ! --rt-len 8"),
        (ChainName.input, "-m rt --rt-segsleft :5",
         "-m rt --rt-segsleft 0:5"),
        (ChainName.input, "-m rt --rt-segsleft 0:4294967295",
         "-m rt"),
        (ChainName.input, "-m iprange ! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4",
         "-m iprange ! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4-::ffff:1.2.3.4"),
        (ChainName.input, "-m recent --set",
         "-m recent --set --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource"),
        (ChainName.input, "-m recent --rcheck --mask ffff:ffff:: --name v6",
         "-m recent --rcheck --name v6 --mask ffff:ffff:: --rsource"),
        (ChainName.input, "-m limit --limit 2/d -j ACCEPT",
         "-m limit --limit 2/day -j ACCEPT"),
        (ChainName.input, "-m statistic --mode random --probability 0.75",
         "-m statistic --mode random --probability 0.75000000000"),
        (ChainName.input, "-m mac --mac-source aa:bb:cc:dd:ee:ff",
         "-m mac --mac-source aa:bb:cc:dd:ee:ff"),
        (ChainName.input, "-m pkttype --pkt-type otherhost",
         "-m pkttype --pkt-type otherhost"),
        (ChainName.output, "-m owner --uid-owner 0-65534",
         "-m owner --uid-owner 0-65534"),
        (ChainName.forward, "-m physdev --physdev-is-in",
         "-m physdev --physdev-is-in"),
    ]

    @Test(arguments: ipv4)
    func ipv4RulesPrintAsIptablesLegacySave(chain: ChainName, input: String, saved: String) throws {
        try check(chain: chain, input: input, saved: saved, family: .ipv4)
    }

    @Test(arguments: ipv6)
    func ipv6RulesPrintAsIp6tablesLegacySave(chain: ChainName, input: String, saved: String) throws {
        try check(chain: chain, input: input, saved: saved, family: .ipv6)
    }

    /// The input prints as iptables printed it; the printed form is a fixed point and reads back
    /// to an equal rule.
    func check(chain: ChainName, input: String, saved: String, family: Family) throws {
        let rule = try Rule(saveArguments: input, family: family, table: .filter, chain: chain)
        #expect(rule.saveArguments(family: family, table: .filter, chain: chain) == saved)
        let canonical = try Rule(saveArguments: saved, family: family, table: .filter, chain: chain)
        #expect(canonical.saveArguments(family: family, table: .filter, chain: chain) == saved)
        let again = try Rule(saveArguments: canonical.saveArguments(family: family, table: .filter, chain: chain), family: family, table: .filter, chain: chain)
        #expect(again == canonical)
        #expect(rule.matches.allSatisfy { $0.isTyped })
    }

    @Test func typedMatchesAreFoundInTheRule() throws {
        let rule = try Rule(saveArguments: "-p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH -j DROP", family: .ipv4, chain: .input)
        let recent = try #require(rule.matches.compactMap { $0.as(RecentMatch.self) }.first)
        #expect(recent.command == .update && recent.seconds == 60 && recent.hitCount == 4 && recent.listName == "SSH")
    }

    @Test func chainRestrictionsReachTheExtensions() {
        #expect(throws: ModelError.self) { try Rule(saveArguments: "-m owner --uid-owner 0", family: .ipv4, table: .filter, chain: .input) }
        #expect(throws: ModelError.self) { try Rule(saveArguments: "-m mac --mac-source 00:11:22:33:44:55", family: .ipv4, table: .filter, chain: .output) }
        #expect(throws: ModelError.self) { try Rule(saveArguments: "-m physdev --physdev-out eth0", family: .ipv4, table: .filter, chain: .output) }
    }
}
