import Foundation
import NatgateKernel
import NatgateModel
import NatgateNFTables
import Testing
import NatgateLab

/// The gateway analysis on rulesets loaded into throwaway namespaces, read back with the reader.
@Suite("nftables blockers of a gateway")
struct AnalysisTests {
    /// The parts of a finding a test pins, as one line.
    static func line(_ finding: NFTFinding) -> String {
        "\(finding.family) \(finding.table) \(finding.chain) \(finding.hook) \(finding.priority) \(finding.effect) \(finding.certainty.rawValue) "
            + "by \(finding.deciders.map(\.description).joined(separator: ", ")) for \(finding.directions.map(\.rawValue).joined(separator: ","))"
    }

    static func gateway(_ subnet: String, _ uplink: String, behind downstream: String? = nil) throws -> NFTGatewayTraffic {
        try NFTGatewayTraffic(subnet: IPNetwork(subnet), uplink: InterfaceName(uplink), downstream: downstream.map { try InterfaceName($0) })
    }

    /// Loads `loaders` and the nft text `extra`, and returns the findings for `gateway`, one line each.
    func findings(_ loaders: [Loader], nft extra: String? = nil, for gateway: NFTGatewayTraffic) throws -> [String] {
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            for loader in loaders { try loader.load(into: scratch) }
            if let extra { try scratch.shell("nft -f -", input: extra) }
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            return ruleset.findings(for: gateway).map(Self.line)
        }
    }

    @Test("an empty namespace blocks nothing", nftablesTests)
    func emptyNamespace() throws {
        #expect(try findings([], for: Self.gateway("10.200.1.0/24", "eth0")) == [])
    }

    @Test("a forward chain with policy drop that accepts the subnet and its replies blocks nothing", nftablesTests)
    func forwardAcceptsSubnet() throws {
        #expect(try findings([.nft("forward-accepts-subnet")], for: Self.gateway("10.200.1.0/24", "eth0")) == [])
        #expect(try findings([.nft("forward-accepts-subnet")], for: Self.gateway("10.200.1.0/24", "eth0", behind: "gw0")) == [])
        // Another subnet is not accepted there: the final drop takes it, for sure.
        let handle = try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try Loader.nft("forward-accepts-subnet").load(into: scratch)
            return try #require(scratch.namespace.run { try NFTRuleset.read() }.rules.last?.handle)
        }
        #expect(try findings([.nft("forward-accepts-subnet")], for: Self.gateway("10.200.2.0/24", "eth0")) == [
            "inet filter forward forward 0 drop certain by rule handle \(handle) in chain forward for outbound-new,outbound-established,replies",
        ])
    }

    @Test("Docker's FORWARD policy drop in iptables-nft's ip filter table blocks a gateway", nftablesTests)
    func dockerForwardPolicyDrop() throws {
        let behind = try findings([.iptablesNFT("docker")], for: Self.gateway("10.200.1.0/24", "eth0", behind: "gw0"))
        #expect(behind == ["ip filter FORWARD forward 0 drop certain by policy for outbound-new,outbound-established,replies"])
        // Not knowing the subnet's interface, Docker's `-i docker0 ... -j ACCEPT` may apply: possible.
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try Loader.iptablesNFT("docker").load(into: scratch)
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            let found = ruleset.findings(for: try Self.gateway("10.200.1.0/24", "eth0"))
            #expect(found.map(Self.line) == ["ip filter FORWARD forward 0 drop possible by policy for outbound-new,outbound-established,replies"])
            #expect(found.first?.undecided.contains("iifname \"docker0\"") == true)
            #expect(found.first?.concernsWholeGateway == true)
            #expect(found.first?.suggestion.contains("iptables-nft -I DOCKER-USER 1 -s 10.200.1.0/24 -o eth0 -j ACCEPT") == true)
        }
    }

    @Test("Docker's ip6 filter FORWARD blocks an IPv6 gateway, and not an IPv4 one", nftablesTests)
    func dockerIPv6() throws {
        #expect(try findings([.iptablesNFT("docker-v6")], for: Self.gateway("fd00:200:1::/64", "eth0", behind: "gw0"))
            == ["ip6 filter FORWARD forward 0 drop certain by policy for outbound-new,outbound-established,replies"])
        #expect(try findings([.iptablesNFT("docker-v6")], for: Self.gateway("10.200.1.0/24", "eth0", behind: "gw0")) == [])
    }

    @Test("a firewalld-like inet table rejects new connections from the subnet with its last rule", nftablesTests)
    func firewalldRejects() throws {
        let handle = try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try Loader.nft("firewalld").load(into: scratch)
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            return try #require(ruleset.rules.last { $0.chain == "filter_FORWARD" }?.handle)
        }
        let expected = ["inet firewalld filter_FORWARD forward 10 reject certain by rule handle \(handle) in chain filter_FORWARD for outbound-new"]
        #expect(try findings([.nft("firewalld")], for: Self.gateway("10.200.1.0/24", "eth0")) == expected)
        #expect(try findings([.nft("firewalld")], for: Self.gateway("10.200.1.0/24", "eth0", behind: "gw0")) == expected)
    }

    @Test("an nft masquerade ahead of natgate's nat chain takes over the masquerading of the subnets it matches", nftablesTests)
    func masqueradeTakesOver() throws {
        let handle = try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try Loader.nft("masquerade").load(into: scratch)
            return try #require(scratch.namespace.run { try NFTRuleset.read() }.rules.first?.handle)
        }
        #expect(try findings([.nft("masquerade")], for: Self.gateway("10.200.1.0/24", "eth0"))
            == ["ip othernat postrouting postrouting 90 nat certain by rule handle \(handle) in chain postrouting for outbound-new"])
        #expect(try findings([.nft("masquerade")], for: Self.gateway("192.168.5.0/24", "eth0")) == [])
        #expect(try findings([.nft("masquerade")], for: Self.gateway("10.200.1.0/24", "eth1")) == [])
        #expect(try findings([.nft("masquerade")], for: Self.gateway("fd00:200:1::/64", "eth0")) == [])
    }

    @Test("a masquerade at natgate's own priority may take over; one after it cannot", nftablesTests)
    func natPriorityDecides() throws {
        let table = { (priority: String) in
            "table ip late { chain post { type nat hook postrouting priority \(priority); policy accept; masquerade; }; }"
        }
        #expect(try findings([], nft: table("srcnat"), for: Self.gateway("10.200.1.0/24", "eth0"))
            == ["ip late post postrouting 100 nat possible by rule handle 2 in chain post for outbound-new"])
        #expect(try findings([], nft: table("srcnat + 10"), for: Self.gateway("10.200.1.0/24", "eth0")) == [])
    }

    @Test("jumps are followed; a prefix that is not byte-aligned is decided through its mask", nftablesTests)
    func jumpsAndMasks() throws {
        let text = """
            table ip t {
                chain check { ip saddr 10.200.0.0/23 drop; }
                chain forward { type filter hook forward priority 0; policy accept; jump check; }
            }
            """
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try scratch.shell("nft -f -", input: text)
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            let handle = try #require(ruleset.rules.first { $0.chain == "check" }?.handle)
            // The subnet's own packets for sure; replies only if they come from 10.200.0.0/23,
            // which natgate cannot know.
            #expect(ruleset.findings(for: try Self.gateway("10.200.1.0/24", "eth0")).map(Self.line)
                == ["ip t forward forward 0 drop certain by rule handle \(handle) in chain check for outbound-new,outbound-established,replies"])
            #expect(ruleset.findings(for: try Self.gateway("10.201.0.0/24", "eth0")).map(Self.line)
                == ["ip t forward forward 0 drop some-traffic by rule handle \(handle) in chain check for replies"])
        }
    }

    @Test("set lookups and verdict maps are decided from their elements", nftablesTests)
    func setsAndVerdictMaps() throws {
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try Loader.nft("named-sets").load(into: scratch)
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            let handles = ruleset.rules.filter { $0.chain == "forward" }.map(\.handle)
            try #require(handles.count == 3)
            let (blocked, vmap) = (handles[0], handles[2])
            func lines(_ subnet: String, _ uplink: String, behind: String) throws -> [String] {
                ruleset.findings(for: try Self.gateway(subnet, uplink, behind: behind)).map(Self.line)
            }
            // 10.200.1.0/24 lies in the interval 10.200.0.0/23 of @blocked.
            #expect(try lines("10.200.1.0/24", "eth0", behind: "gw0")
                == ["ip filter forward forward 0 drop certain by rule handle \(blocked) in chain forward for outbound-new,outbound-established,replies"])
            // Behind lan0 (in @lans) the subnet's packets are accepted; replies from an address in
            // @blocked would still be dropped, which natgate cannot rule out.
            #expect(try lines("10.9.0.0/24", "eth0", behind: "lan0")
                == ["ip filter forward forward 0 drop some-traffic by rule handle \(blocked) in chain forward for replies"])
            // Behind gw0 the verdict map drops what leaves through eth0, and accepts what leaves through wan0.
            #expect(try lines("10.9.0.0/24", "eth0", behind: "gw0")
                == ["ip filter forward forward 0 drop certain by rule handle \(vmap) in chain forward, rule handle \(blocked) in chain forward for outbound-new,outbound-established,replies"])
            #expect(try lines("10.9.0.0/24", "wan0", behind: "gw0")
                == ["ip filter forward forward 0 drop some-traffic by rule handle \(blocked) in chain forward for replies"])
        }
    }

    @Test("a verdict map on the subnet's interface is a possible finding when that interface is unknown", nftablesTests)
    func verdictMapOnTheSubnetsInterface() throws {
        let text = """
            table ip t {
                map by_interface { type ifname : verdict; elements = { "eth0" : drop }; }
                chain forward { type filter hook forward priority 0; policy accept; iifname vmap @by_interface; }
            }
            """
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try scratch.shell("nft -f -", input: text)
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            let handle = try #require(ruleset.rules.first?.handle)
            let unknown = ruleset.findings(for: try Self.gateway("10.9.0.0/24", "wan0"))
            #expect(unknown.map(Self.line) == ["ip t forward forward 0 drop possible by rule handle \(handle) in chain forward for outbound-new,outbound-established"])
            #expect(unknown.first?.undecided == ["verdict map @by_interface"])
            #expect(ruleset.findings(for: try Self.gateway("10.9.0.0/24", "wan0", behind: "gw0")).isEmpty)
            #expect(ruleset.findings(for: try Self.gateway("10.9.0.0/24", "wan0", behind: "eth0")).map(Self.line)
                == ["ip t forward forward 0 drop certain by rule handle \(handle) in chain forward for outbound-new,outbound-established"])
        }
    }

    @Test("iptables-nft's -m conntrack --ctstate and -m state are decided from the packet's state", nftablesTests)
    func xtStateMatches() throws {
        let rules = """
            *filter
            :FORWARD ACCEPT [0:0]
            -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A FORWARD -m state --state NEW -j DROP
            COMMIT

            """
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try scratch.shell("iptables-nft-restore", input: rules)
            let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
            let handle = try #require(ruleset.rules.last { $0.chain == "FORWARD" }?.handle)
            #expect(ruleset.findings(for: try Self.gateway("10.200.1.0/24", "eth0")).map(Self.line)
                == ["ip filter FORWARD forward 0 drop certain by rule handle \(handle) in chain FORWARD for outbound-new"])
        }
    }

    @Test("a condition on the packets natgate cannot evaluate ahead of a drop makes it a some-traffic finding, and says which", nftablesTests)
    func undecidedConditions() throws {
        let text = """
            table ip t {
                chain forward { type filter hook forward priority 0; policy drop; meta mark 0x1 accept; }
            }
            """
        try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
            try scratch.shell("nft -f -", input: text)
            let found = try scratch.namespace.run { try NFTRuleset.read() }.findings(for: Self.gateway("10.200.1.0/24", "eth0", behind: "gw0"))
            #expect(found.map(Self.line) == ["ip t forward forward 0 drop some-traffic by policy for outbound-new,outbound-established,replies"])
            #expect(found.first?.undecided == ["meta mark"])
            #expect(found.first?.concernsWholeGateway == false)
        }
    }
}
