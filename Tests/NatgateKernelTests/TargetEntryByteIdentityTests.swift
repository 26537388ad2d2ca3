import NatgateModel
import Testing

/// Whole-entry byte identity for rules with the typed targets: natgate commits each rule in one
/// throwaway namespace, iptables-legacy in another, and the entries must be the same bytes, decode
/// back to the same rule, and save to the same text (see `ByteIdentityCase`).
@Suite struct TargetEntryByteIdentityTests {
    @Test(kernelTests, arguments: [
        // MASQUERADE, SNAT, DNAT, REDIRECT (nat)
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-p tcp -j MASQUERADE --to-ports 1024-65535 --random --random-fully"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-s 10.200.1.0/24 -o eth0 -j SNAT --to-source 192.0.2.1"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --random --random-fully --persistent"),
        ByteIdentityCase(.ipv4, .nat, "POSTROUTING", "-p udp -j SNAT --to-source :1000"),
        ByteIdentityCase(.ipv4, .nat, "INPUT", "-p icmp -j SNAT --to-source 192.0.2.1:5-6"),
        ByteIdentityCase(.ipv4, .nat, "PREROUTING", "-i eth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.200.1.2:80"),
        ByteIdentityCase(.ipv4, .nat, "PREROUTING", "-p tcp -j DNAT --to-destination 192.0.2.1:80-90/85"),
        ByteIdentityCase(.ipv4, .nat, "OUTPUT", "-p tcp -j DNAT --to-destination :80"),
        ByteIdentityCase(.ipv4, .nat, "PREROUTING", "-p sctp -j DNAT --to-destination 192.0.2.1-192.0.2.3 --random --persistent"),
        ByteIdentityCase(.ipv4, .nat, "OUTPUT", "-p tcp -j REDIRECT --to-ports 8080 --random"),
        ByteIdentityCase(.ipv4, .nat, "PREROUTING", "-p udp -j REDIRECT"),
        ByteIdentityCase(.ipv4, .nat, "NATGATE-POST", "-o eth0 -j MASQUERADE"),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-p tcp -j MASQUERADE --to-ports 1000-2000 --random-fully"),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-s fd00:200:1::/64 -o eth0 -j SNAT --to-source 2001:db8::1"),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1000-2000 --random-fully"),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-p udp -j SNAT --to-source :1000-2000 --persistent"),
        ByteIdentityCase(.ipv6, .nat, "PREROUTING", "-p tcp -j DNAT --to-destination [2001:db8::1]:80-90/85"),
        ByteIdentityCase(.ipv6, .nat, "PREROUTING", "-j DNAT --to-destination ::ffff:1.2.3.4"),
        ByteIdentityCase(.ipv6, .nat, "OUTPUT", "-p tcp -j REDIRECT --to-ports 8080-8090"),
        // REJECT, LOG (filter)
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-j REJECT --reject-with icmp-port-unreachable"),
        ByteIdentityCase(.ipv4, .filter, "FORWARD", "-p tcp -j REJECT --reject-with tcp-reset"),
        ByteIdentityCase(.ipv4, .filter, "OUTPUT", "-j REJECT --reject-with icmp-admin-prohibited"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-j REJECT --reject-with icmp6-port-unreachable"),
        ByteIdentityCase(.ipv6, .filter, "FORWARD", "-j REJECT --reject-with icmp6-adm-prohibited"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-p tcp -j REJECT --reject-with tcp-reset"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-j LOG"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-j LOG --log-prefix \"dropped: \" --log-level 7 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode"),
        ByteIdentityCase(.ipv4, .filter, "INPUT", "-j LOG --log-prefix abcdefghijklmnopqrstuvwxyz012"),
        ByteIdentityCase(.ipv6, .nat, "POSTROUTING", "-j LOG --log-level 0"),
        // MARK, CONNMARK, CHECKSUM, TCPMSS (mangle)
        ByteIdentityCase(.ipv4, .mangle, "PREROUTING", "-j MARK --set-xmark 0x10/0xf0"),
        ByteIdentityCase(.ipv4, .mangle, "OUTPUT", "-j MARK --set-xmark 0x0/0xffffff00"),
        ByteIdentityCase(.ipv6, .filter, "INPUT", "-j MARK --set-xmark 0xffffffff/0xffffffff"),
        ByteIdentityCase(.ipv4, .mangle, "PREROUTING", "-j CONNMARK --set-xmark 0x1/0xffffffff"),
        ByteIdentityCase(.ipv4, .mangle, "PREROUTING", "-j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xf0"),
        ByteIdentityCase(.ipv4, .mangle, "PREROUTING", "-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --left-shift-mark 8"),
        ByteIdentityCase(.ipv6, .mangle, "FORWARD", "-j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff --right-shift-mark 4"),
        ByteIdentityCase(.ipv4, .mangle, "POSTROUTING", "-p udp -m udp --dport 68 -j CHECKSUM --checksum-fill"),
        ByteIdentityCase(.ipv4, .mangle, "FORWARD", "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"),
        ByteIdentityCase(.ipv6, .mangle, "POSTROUTING", "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1280"),
        // HL, TTL (mangle)
        ByteIdentityCase(.ipv6, .mangle, "POSTROUTING", "-o eth0 -j HL --hl-set 64"),
        ByteIdentityCase(.ipv6, .mangle, "PREROUTING", "-j HL --hl-inc 1"),
        ByteIdentityCase(.ipv4, .mangle, "FORWARD", "-j TTL --ttl-dec 2"),
        // CT, NOTRACK (raw)
        ByteIdentityCase(.ipv4, .raw, "PREROUTING", "-j NOTRACK"),
        ByteIdentityCase(.ipv6, .raw, "OUTPUT", "-j NOTRACK"),
        ByteIdentityCase(.ipv4, .raw, "PREROUTING", "-j CT --notrack"),
        ByteIdentityCase(.ipv4, .raw, "OUTPUT", "-p tcp -j CT --helper ftp --zone 5"),
        ByteIdentityCase(.ipv4, .raw, "OUTPUT", "-j CT --ctevents new,related,mark --expevents new"),
        ByteIdentityCase(.ipv4, .raw, "PREROUTING", "-j CT --zone-orig mark"),
        ByteIdentityCase(.ipv6, .raw, "PREROUTING", "-j CT --zone-reply 7"),
    ])
    func entriesAreWhatIptablesLegacyWrites(_ check: ByteIdentityCase) throws {
        try check.verify()
    }
}
