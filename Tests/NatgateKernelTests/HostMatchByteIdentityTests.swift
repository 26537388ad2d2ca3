import NatgateKernel
import NatgateModel
import Testing

/// Whole entries with limit, statistic, pkttype, mac, ttl, hl, iprange, recent, owner, physdev and
/// rt, committed by natgate and by iptables-legacy, compared byte for byte (see `ByteIdentityCase`).
@Suite("Host match entries are byte-identical to iptables-legacy's", .serialized)
struct HostMatchByteIdentityTests {
    @Test(kernelTests, arguments: [
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m limit --limit 5/min -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp --syn -m limit --limit 60/minute --limit-burst 10 -j LOG"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m statistic --mode random --probability 0.1 -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m statistic --mode nth ! --every 4 --packet 1"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m pkttype --pkt-type bcast -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m mac ! --mac-source 0:1:2:a:B:c -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m ttl ! --ttl 64 -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.0.2.1 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m recent --set"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m recent --set --name SSH --mask 255.255.255.255 --rsource"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --rttl --name SSH -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-m recent ! --rcheck --seconds 30 --reap --mask 255.255.255.0 --rdest"),
        ByteIdentityCase(.ipv4, .filter, "OUTPUT", "-m owner ! --uid-owner 1000:2000 --gid-owner 5 --suppl-groups ! --socket-exists -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-m physdev ! --physdev-is-in ! --physdev-in eth0 --physdev-out veth+ --physdev-is-out --physdev-is-bridged"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-m statistic --mode random --probability 0.5 -m owner --socket-exists -j MASQUERADE"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m hl ! --hl-eq 255 -j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m rt --rt-type 0 --rt-0-res --rt-0-addrs 2001:db8::1,2001:db8::2 --rt-0-not-strict"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m rt ! --rt-type 2 ! --rt-segsleft 3:5 ! --rt-len 8 -j DROP"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m iprange ! --src-range 2001:db8::1-2001:db8::ff --dst-range ::ffff:1.2.3.4"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-m recent --rcheck --mask ffff:ffff:: --name v6 -m limit --limit 7/h"),
        ByteIdentityCase(.ipv6, .filter, "OUTPUT", "-m owner --uid-owner 0-65534 -m pkttype ! --pkt-type multicast"),
        ByteIdentityCase(.ipv6, .filter, "FORWARD", "-m physdev --physdev-in br-lan+ -m mac --mac-source aa:bb:cc:dd:ee:ff"),
    ])
    func entriesAreByteIdentical(_ check: ByteIdentityCase) throws {
        try check.verify()
    }
}
