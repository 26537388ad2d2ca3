import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9).
@Suite struct MultiportMatchCodecTests {
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
}
