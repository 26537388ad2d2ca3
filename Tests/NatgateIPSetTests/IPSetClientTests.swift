import Foundation
import NatgateIPSet
import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

@Suite(.serialized) struct IPSetClientTests {
    @Test(ipsetTests) func createAndAddAreWhatIpsetSaves() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("gw-v4", family: .ipv4)
            try client.create("gw-v6", family: .ipv6)
            try client.add(members("10.1.0.0/24,eth0", "10.2.0.0/16,uplink1", "192.168.7.9/32,eth0"), to: "gw-v4")
            try client.add(members("fd00:1::/64,eth0", "2001:db8::1/128,wan"), to: "gw-v6")

            #expect(try scratch.savedMembers("gw-v4") == ["add gw-v4 10.1.0.0/24,eth0", "add gw-v4 10.2.0.0/16,uplink1", "add gw-v4 192.168.7.9,eth0"])
            #expect(try scratch.savedMembers("gw-v6") == ["add gw-v6 2001:db8::1,wan", "add gw-v6 fd00:1::/64,eth0"])
            let save = try scratch.shell("ipset save")
            #expect(save.contains("create gw-v4 hash:net,iface family inet "))
            #expect(save.contains("create gw-v6 hash:net,iface family inet6 "))
            // The client reads back what ipset saved.
            #expect(try client.list("gw-v4").memberLines == scratch.savedMembers("gw-v4"))
            #expect(try client.list("gw-v6").memberLines == scratch.savedMembers("gw-v6"))
            #expect(try client.list("gw-v6").family == .ipv6)
            #expect(try client.setNames() == ["gw-v4", "gw-v6"])
        }
    }

    /// A set edited by hand is drift: the client lists what `ipset` added, nomatch and physdev included.
    @Test(ipsetTests) func listsMembersAddedByHand() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("ipset create hand hash:net,iface && ipset add hand 10.9.0.0/24,eth1 && ipset add hand 10.8.0.0/24,physdev:br0 && ipset add hand 10.7.0.0/24,eth2 nomatch")
            let listing = try IPSetClient(namespace: scratch.namespace).list("hand")
            #expect(listing.typeName == "hash:net,iface" && listing.family == .ipv4 && listing.references == 0)
            #expect(listing.memberLines == (try scratch.savedMembers("hand")))
            #expect(listing.members.count == 3)
        }
    }

    /// `test` answers as `ipset test` does (exit status 0 or 1), whatever the set's size; `header`
    /// gives what `ipset list -terse` prints, without a member.
    @Test(ipsetTests) func testAndHeaderAnswerAsIpsetDoes() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("t", family: .ipv4)
            try client.create("t6", family: .ipv6)
            try client.add(members("10.1.0.0/24,eth0", "10.2.0.0/16,eth1", "0.0.0.0/0,any0", "192.0.2.7/32,eth0"), to: "t")
            try client.add(members("fd00:1::/64,eth0"), to: "t6")
            let questions: [(String, String)] = [
                ("t", "10.1.0.0/24,eth0"), ("t", "10.1.0.0/24,eth1"), ("t", "10.1.0.0/25,eth0"), ("t", "10.1.0.0/23,eth0"),
                ("t", "10.2.0.0/16,eth1"), ("t", "10.2.3.0/24,eth1"), ("t", "0.0.0.0/0,any0"),
                // Hosts: any member network holding the address, with the interface.
                ("t", "10.1.0.9/32,eth0"), ("t", "10.2.200.1/32,eth1"), ("t", "10.2.200.1/32,eth0"), ("t", "192.0.2.7/32,eth0"), ("t", "203.0.113.1/32,any0"),
                ("t6", "fd00:1::/64,eth0"), ("t6", "fd00:1::/63,eth0"), ("t6", "fd00:1::5/128,eth0"), ("t6", "fd00:2::/64,eth0"),
            ]
            for (set, text) in questions {
                let member = try IPSetMember(text)
                let ipset = try scratch.run(["ipset", "test", set, text]).status == 0
                #expect(try client.test(member, in: set) == ipset, "ipset test \(set) \(text)")
            }
            let missing = #expect(throws: IPSetError.self) { try client.test(try IPSetMember("10.1.0.0/24,eth0"), in: "nothere") }
            #expect(missing?.kind == .noSuchSet)

            let header = try client.header("t")
            #expect(header.typeName == "hash:net,iface" && header.family == .ipv4 && header.references == 0)
            let terse = try scratch.shell("ipset list -terse t")
            #expect(terse.contains("Number of entries: \(header.count)") && header.count == 4, "\(terse)")
            #expect(try client.header("t6").family == .ipv6)
            try scratch.shell("ipset create other hash:net")
            #expect(try client.header("other").typeName == "hash:net")
            let none = #expect(throws: IPSetError.self) { try client.header("nothere") }
            #expect(none?.kind == .noSuchSet)
        }
    }

    @Test(ipsetTests) func deleteRemovesOnlyTheGivenMembers() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("s", family: .ipv4)
            try client.add(members("10.1.0.0/24,eth0", "10.2.0.0/24,eth0", "10.2.0.0/24,eth1"), to: "s")
            try client.delete(members("10.2.0.0/24,eth0"), from: "s")
            #expect(try scratch.savedMembers("s") == ["add s 10.1.0.0/24,eth0", "add s 10.2.0.0/24,eth1"])

            let missing = #expect(throws: IPSetError.self) { try client.delete(members("10.2.0.0/24,eth0"), from: "s") }
            #expect(missing?.kind == .memberMissing)
            try client.delete(members("10.2.0.0/24,eth0"), from: "s", ignoringMissing: true)

            let existing = #expect(throws: IPSetError.self) { try client.add(members("10.5.0.0/24,eth0", "10.1.0.0/24,eth0"), to: "s") }
            #expect(existing?.kind == .memberExists)
            // The message names the member that failed, the second of the batch.
            #expect(existing?.description.contains("ipset add s 10.1.0.0/24,eth0") == true, "\(existing.map(String.init(describing:)) ?? "")")
            try client.add(members("10.1.0.0/24,eth0"), to: "s", ignoringExisting: true)
        }
    }

    /// Thousands of members go in several messages and all arrive.
    @Test(ipsetTests) func manyMembersArriveInSeveralMessages() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("big", family: .ipv4)
            let many = (0..<2500).map { IPSetMember(network: .v4(IPv4Network(masking: IPv4Address(10, UInt8($0 / 256), UInt8($0 % 256), 0), prefixLength: 24)),
                                                    interface: try! InterfaceName("eth\($0 % 3)")) }
            try client.add(many, to: "big")
            let saved = try scratch.savedMembers("big")
            #expect(saved.count == 2500)
            #expect(try client.list("big").memberLines == saved)
        }
    }

    @Test(ipsetTests) func flushSwapRenameDestroy() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("a", family: .ipv4)
            try client.create("b", family: .ipv4)
            try client.add(members("10.1.0.0/24,eth0"), to: "a")
            try client.add(members("10.2.0.0/24,eth1"), to: "b")
            try client.swap("a", with: "b")
            #expect(try scratch.savedMembers("a") == ["add a 10.2.0.0/24,eth1"])
            #expect(try scratch.savedMembers("b") == ["add b 10.1.0.0/24,eth0"])
            try client.flush("a")
            #expect(try scratch.savedMembers("a") == [])
            try client.rename("b", to: "c")
            #expect(try scratch.shell("ipset list -n").split(separator: "\n") == ["a", "c"])
            try client.destroy("a")
            try client.destroy("c")
            #expect(try scratch.shell("ipset list -n") == "")
        }
    }

    @Test(ipsetTests) func errorsSayWhatToDo() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("used", family: .ipv4)
            try client.create("six", family: .ipv6)
            #expect(throws: IPSetError.self) { try client.create("used", family: .ipv4) }
            #expect((try? client.create("used", family: .ipv4)) == nil)
            func kind(_ body: () throws -> Void) -> IPSetError.Kind? {
                do { try body() } catch { return (error as? IPSetError)?.kind }
                return nil
            }
            #expect(kind { try client.create("used", family: .ipv4) } == .setExists)
            #expect(kind { try client.flush("nothere") } == .noSuchSet)
            #expect(kind { _ = try client.list("nothere") } == .noSuchSet)
            #expect(kind { try client.swap("used", with: "nothere") } == .noSuchSet)
            #expect(kind { try client.swap("used", with: "six") } == .incompatible)
            #expect(kind { try client.add(members("fd00::/64,eth0"), to: "used") } == .invalid)
            #expect(kind { try client.create("a name with spaces", family: .ipv4) } == .invalid)
            #expect(kind { try client.create(String(repeating: "x", count: 32), family: .ipv4) } == .invalid)

            try scratch.shell("iptables-legacy -A FORWARD -m set --match-set used src,dst -j ACCEPT")
            #expect(kind { try client.destroy("used") } == .inUse)
            #expect(kind { try client.rename("used", to: "other") } == .inUse)
            #expect(try client.list("used").references == 1)
            let inUse = #expect(throws: IPSetError.self) { try client.destroy("used") }
            #expect(inUse?.description.contains("in use by a rule") == true)
            #expect(inUse?.description.hasPrefix("ipset destroy used: ") == true)
        }
    }

    /// natgate's own backend writes a rule on a set the client made, and iptables-legacy-save shows it.
    @Test(ipsetTests) func aRuleOnAClientSetIsWhatIptablesSaves() throws {
        try ThrowawayNamespace.with { scratch in
            let client = IPSetClient(namespace: scratch.namespace)
            try client.create("natgate-test-v4", family: .ipv4)
            try client.add(members("10.1.0.0/24,eth0"), to: "natgate-test-v4")
            let rule = try Rule(saveArguments: "-m set --match-set natgate-test-v4 src,dst -j MASQUERADE", family: .ipv4, table: .nat, chain: .postrouting)
            try KernelBackend(family: .ipv4, namespace: scratch.namespace).update(table: .nat) { $0[chain: .postrouting]!.rules.append(rule) }
            #expect(try scratch.shell("iptables-legacy-save -t nat").contains("-A POSTROUTING -m set --match-set natgate-test-v4 src,dst -j MASQUERADE"))
            #expect(try client.list("natgate-test-v4").references == 1)
        }
    }

    /// The client never touches the namespace the tests run in.
    @Test(ipsetTests) func workInAThrowawayNamespaceLeavesTheCurrentOneAlone() throws {
        let before = try IPSetClient().setNames()
        try ThrowawayNamespace.with { scratch in
            try IPSetClient(namespace: scratch.namespace).create("only-in-scratch", family: .ipv4)
        }
        #expect(try IPSetClient().setNames() == before)
        #expect(!before.contains("only-in-scratch"))
    }
}
