import NatgateModel
import Testing

/// Whole-entry byte identity for rules using this suite's typed matches: natgate commits each rule
/// in one throwaway namespace, iptables-legacy in another, and the entries must be the same bytes
/// (see `ByteIdentityCase`). The arguments are what iptables-legacy-save printed for them.
@Suite struct MatchEntryByteIdentityTests {
    @Test(kernelTests, arguments: [
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack ! --ctstate NEW"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack --ctstate NEW --ctproto 6 --ctorigsrc 1.2.3.4 --ctorigdstport 22 --ctstatus ASSURED --ctexpire 5 --ctdir REPLY"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack --ctorigsrc 10.0.0.0/8 --ctorigdst 10.1.2.3 ! --ctreplsrc 10.0.0.0/16 --ctrepldst 0.0.0.0/0"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack --ctorigsrcport 80 --ctorigdstport 1000:2000 ! --ctreplsrcport 0:100 --ctrepldstport 100:65535"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack ! --ctstatus ASSURED ! --ctexpire 10:20 --ctdir ORIGINAL"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m state --state NEW -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m state ! --state RELATED,ESTABLISHED"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m comment --comment \"hello world\" -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-s 10.200.1.0/24 -i eth0 -m comment --comment natgate -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp --dport 22 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp --sport 1024:65535 --dport 22"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp ! --sport 8080 ! --dport 80"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp --sport 1 --dport 2 --tcp-option 5 --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m tcp --dport 22"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p udp -m udp --dport 53 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p udp -m udp ! --sport 1:2 --dport 53"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p udp -m udp --dport 10"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p icmp -m icmp --icmp-type 8 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p icmp -m icmp ! --icmp-type any"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p icmp -m icmp --icmp-type 3/3"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p icmp -m icmp --icmp-type 3/1"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m multiport --dports 22,80,443 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m multiport ! --sports 1000:2000,3000"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p udp -m multiport --ports 53,67:68"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m multiport --dports 80,8"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m addrtype --dst-type LOCAL -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m addrtype --src-type BLACKHOLE ! --dst-type UNICAST,LOCAL,BROADCAST"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m addrtype --dst-type LOCAL --limit-iface-in"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m mark --mark 0x1"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m mark ! --mark 0x10/0xff"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m connmark --mark 0xabc/0xff00 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -m conntrack --ctstate NEW -m multiport --dports 80,443 -m comment --comment web -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m conntrack --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT ! --ctproto 6 --ctorigsrc 10.0.0.1/8 ! --ctorigdst 192.168.1.0/24 --ctreplsrc 1.2.3.4 --ctrepldst 0.0.0.0/0 --ctorigsrcport 80 ! --ctorigdstport 1000:2000 --ctreplsrcport 1 --ctrepldstport 2:3 ! --ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED --ctexpire 10:20 --ctdir REPLY -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p sctp -m multiport --ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15 -j DROP"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m conntrack --ctorigsrc fd00::/64 ! --ctorigdst ::1 --ctreplsrc fd00::1/64 --ctrepldst ::/0"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m conntrack --ctstate RELATED,ESTABLISHED --ctorigsrc fd00::/32 -j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m state --state NEW"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p ipv6-icmp -m icmp6 ! --icmpv6-type 1/3"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p ipv6-icmp -m icmp6 --icmpv6-type 135"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p tcp -m tcp --dport 22"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p udp -m multiport --dports 546:547"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m addrtype --src-type UNSPEC,UNICAST,LOCAL,ANYCAST,MULTICAST"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m mark --mark 0x2/0x2 -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-o eth0 -m addrtype --dst-type LOCAL --limit-iface-out -j ACCEPT"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-s 10.200.1.0/24 -o eth0 -m conntrack --ctstate NEW -m comment --comment \"natgate gw\" -j MASQUERADE"),
    ])
    func entriesAreWhatIptablesLegacyWrites(_ check: ByteIdentityCase) throws {
        try check.verify()
    }
}
