import NatgateKernel
import NatgateModel
import Testing

/// The entry header, standard targets, jumps and the two example codecs, written by natgate and by
/// iptables-legacy, byte for byte. Extension codecs add their own cases (see `ByteIdentityCase`).
@Suite("Entries are byte-identical to iptables-legacy's")
struct EntryByteIdentityTests {
    @Test(kernelTests, arguments: [
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-s 10.200.1.0/24 -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "! -s 10.0.0.0/8 ! -d 192.0.2.1/32 -j RETURN"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-s 10.0.0.0/255.0.255.0 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-i eth0 -o veth+ -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "! -i eth0 ! -o v-eth1 -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-i abcdefghijklmno -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p tcp -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "! -p udp -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-p 47 -j ACCEPT"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-f -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "! -f -j DROP"),
        ByteIdentityCase(.ipv4, .filter, "OUTPUT", "-d 198.51.100.0/24"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-s 10.200.1.0/24 -j NATGATE-FWD", userChains: ["NATGATE-FWD"]),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-g NATGATE-FWD", userChains: ["NATGATE-FWD"]),
        ByteIdentityCase(.ipv4, .filter, "NATGATE-FWD", "-o eth0 -j RETURN"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-s 10.200.1.0/24 -o eth0 -j MASQUERADE"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-o eth0 -m comment --comment \"natgate: 10.200.1.0/24 via eth0\" -j MASQUERADE"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "FORWARD", "-s fd00:200:1::/64 -i v-eth1 -o eth0 -j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "FORWARD", "! -s 2001:db8::/32 ! -d fd00::1/128 -j DROP"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p ipv6-icmp -j ACCEPT"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "! -p tcp -j DROP"),
        ByteIdentityCase(.ipv6, .filter, "FORWARD", "-o veth+ -g NATGATE-FWD", userChains: ["NATGATE-FWD"]),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-s fd00:200:1::/64 -o eth0 -j MASQUERADE"),
    ])
    func headerAndStandardTargets(_ check: ByteIdentityCase) throws {
        try check.verify()
    }
}
