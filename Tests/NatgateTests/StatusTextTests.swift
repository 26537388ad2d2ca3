import NatgateModel
import NatgatePolicy
import Testing
@testable import Natgate
@testable import NatgateEngine

/// `natgate status` for people: a table by default, the rules with `-v`.
@Suite struct StatusTextTests {
    static func status() throws -> Status {
        let plain = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("v-eth1"))
        let options = try Gateway(
            subnet: IPNetwork("10.200.20.0/24"), uplink: InterfaceName("wlan+"), inbound: .all, snatTo: IPAddress("198.51.100.2"))
        let ipv4 = Status.FamilyStatus(family: .ipv4, gateways: [
            Status.GatewayStatus(gateway: plain, rules: [
                Status.TableRules(table: .nat, rules: [
                    Status.RuleStatus(counters: Counters(packets: 2, bytes: 120), line: "-A NATGATE-POSTROUTING -s 10.200.1.0/24 -o eth0 -j MASQUERADE"),
                ]),
            ], natPackets: 2, natBytes: 120),
            Status.GatewayStatus(gateway: options, rules: [
                Status.TableRules(table: .nat, rules: [
                    Status.RuleStatus(
                        counters: Counters(packets: 12345, bytes: 678901),
                        line: "-A NATGATE-POSTROUTING -s 10.200.20.0/24 -o wlan+ -j SNAT --to-source 198.51.100.2"),
                ]),
            ], natPackets: 12345, natBytes: 678901),
        ], forwarding: Status.ForwardingStatus(key: "net.ipv4.ip_forward", value: "1", recordedPrevious: "0"), drift: [])
        let ipv6 = Status.FamilyStatus(
            family: .ipv6, gateways: [], forwarding: Status.ForwardingStatus(key: "net.ipv6.conf.all.forwarding", value: "0"), drift: [])
        return Status(families: [ipv4, ipv6])
    }

    @Test func theDefaultIsOneAlignedRowPerGatewayWithoutRules() throws {
        let text = try Self.status().text(verbose: false)
        #expect(text == """
            ipv4: 2 gateways, net.ipv4.ip_forward = 1 (natgate set it; restores 0 when the last gateway goes)
              SUBNET          UPLINK  VIA     OPTIONS                               PACKETS   BYTES
              10.200.1.0/24   eth0    v-eth1  -                                           2     120
              10.200.20.0/24  wlan+   -       --inbound all --snat-to 198.51.100.2    12345  678901
            ipv6: no gateways, net.ipv6.conf.all.forwarding = 0
            No drift: the kernel holds exactly what the gateways compile to.

            """)
        #expect(!text.contains("-A NATGATE"))
        #expect(try Self.status().description == text)
    }

    @Test func verboseAddsEachGatewaysRulesWithCounters() throws {
        let text = try Self.status().text(verbose: true)
        #expect(text.contains("""
              10.200.1.0/24 eth0 --via v-eth1
                *nat
                [2:120] -A NATGATE-POSTROUTING -s 10.200.1.0/24 -o eth0 -j MASQUERADE

            """))
        #expect(text.contains("[12345:678901] -A NATGATE-POSTROUTING -s 10.200.20.0/24"))
    }

    @Test func driftFollowsTheTable() throws {
        var status = try Self.status()
        status.families[0].drift = ["ipv4 filter: FORWARD does not jump to NATGATE-FORWARD."]
        let text = status.text(verbose: false)
        #expect(text.contains("678901\n  drift: ipv4 filter: FORWARD does not jump to NATGATE-FORWARD.\nipv6:"))
        #expect(!text.contains("No drift"))
    }
}
