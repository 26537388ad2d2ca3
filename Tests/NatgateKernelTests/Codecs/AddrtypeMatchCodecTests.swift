import Testing
import NatgateKernel
import NatgateModel

/// Golden payloads: dumped with libiptc after `iptables-legacy -A INPUT <words>` (iptables 1.8.9).
@Suite struct AddrtypeMatchCodecTests {
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
}
