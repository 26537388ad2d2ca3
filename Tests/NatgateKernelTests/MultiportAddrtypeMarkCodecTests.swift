import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9).
@Suite struct MultiportAddrtypeMarkCodecTests {
    @Test(arguments: [
        // iptables-legacy -A INPUT -p tcp -m multiport ! --sports 1000:2000,3000
        (MultiportMatch(.source, ports: [try! PortRange(lower: 1000, upper: 2000), PortRange(3000)], negated: true), """
            00 03 e8 03 d0 07 b8 0b 00 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
            """),
        // iptables-legacy -A INPUT -p udp -m multiport --ports 53,67:68
        (MultiportMatch(.either, ports: [PortRange(53), try! PortRange(lower: 67, upper: 68)]), """
            02 03 35 00 43 00 44 00 00 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            """),
        // iptables-legacy -A INPUT -p tcp -m multiport --dports 22,80,443
        (MultiportMatch(.destination, ports: [PortRange(22), PortRange(80), PortRange(443)]), """
            01 03 16 00 50 00 bb 01 00 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            """),
    ])
    func multiportEncodesAsIptablesLegacy(match: MultiportMatch, hex: String) throws {
        #expect(MultiportMatch.revision(for: .ipv4) == 1)
        let golden = MatchGolden.bytes(hex)
        let payload = try MatchGolden.entryPayload(match, ipProtocol: .udp)
        #expect(payload == golden, "\(MatchGolden.diff(payload, golden))")
        #expect(try MatchGolden.decode(MultiportMatch.self, golden) == Match(match))
    }

    @Test func multiportRefusesToEncodeWithoutAPortProtocol() {
        #expect(throws: ModelError.self) { try MultiportMatch(.destination, ports: [PortRange(22)]).encodePayload(context: ExtensionContext(family: .ipv4)) }
    }

    @Test(arguments: [
        // iptables-legacy -A INPUT -m addrtype --src-type BLACKHOLE ! --dst-type local,unicast,Broadcast
        (AddrtypeMatch(sourceTypes: Negatable(.blackhole), destinationTypes: .not([.local, .unicast, .broadcast])), "40 00 0e 00 02 00 00 00"),
        // iptables-legacy -A INPUT -m addrtype --dst-type LOCAL --limit-iface-in
        (AddrtypeMatch(destinationTypes: Negatable(.local), limitToInInterface: true), "00 00 04 00 04 00 00 00"),
    ])
    func addrtypeEncodesAsIptablesLegacy(match: AddrtypeMatch, hex: String) throws {
        #expect(AddrtypeMatch.revision(for: .ipv4) == 1)
        let golden = MatchGolden.bytes(hex)
        #expect(try MatchGolden.entryPayload(match) == golden)
        #expect(try MatchGolden.decode(AddrtypeMatch.self, golden) == Match(match))
    }

    @Test func markAndConnmarkEncodeAsIptablesLegacy() throws {
        #expect(MarkMatch.revision(for: .ipv4) == 1 && ConnmarkMatch.revision(for: .ipv6) == 1)
        // iptables-legacy -A INPUT -m mark ! --mark 0x10/0xff
        let notMasked = MatchGolden.bytes("10 00 00 00 ff 00 00 00 01 00 00 00 00 00 00 00")
        let mark = MarkMatch(MarkPattern(0x10, mask: 0xff), negated: true)
        #expect(try MatchGolden.entryPayload(mark) == notMasked)
        #expect(try MatchGolden.decode(MarkMatch.self, notMasked) == Match(mark))
        // iptables-legacy -A INPUT -m mark --mark 1
        #expect(try MatchGolden.entryPayload(MarkMatch(MarkPattern(1))) == MatchGolden.bytes("01 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00"))
        // iptables-legacy -A INPUT -m connmark --mark 0xabc/0xff00
        let connmark = ConnmarkMatch(MarkPattern(0xabc, mask: 0xff00))
        let golden = MatchGolden.bytes("bc 0a 00 00 00 ff 00 00 00 00 00 00 00 00 00 00")
        #expect(try MatchGolden.entryPayload(connmark) == golden)
        #expect(try MatchGolden.decode(ConnmarkMatch.self, golden) == Match(connmark))
        // iptables-legacy -A INPUT -m connmark ! --mark 7
        #expect(try MatchGolden.entryPayload(ConnmarkMatch(MarkPattern(7), negated: true)) == MatchGolden.bytes("07 00 00 00 ff ff ff ff 01 00 00 00 00 00 00 00"))
    }
}
