import Testing
@testable import NatgateModel

/// Expected words come from `unshare --net sh -c 'iptables-legacy -A INPUT -m pkttype ARGS;
/// iptables-legacy-save'` with iptables 1.8.9.
@Suite struct PacketTypeMatchTests {
    @Test(arguments: [
        ("--pkt-type unicast", "--pkt-type unicast"),
        ("! --pkt-type BCAST", "! --pkt-type broadcast"),
        ("--pkt-type mcast", "--pkt-type multicast"),
        ("--pkt-type host", "--pkt-type unicast"),
        ("--pkt-type otherhost", "--pkt-type otherhost"),
        ("! --pkt-type multicast", "! --pkt-type multicast"),
    ])
    func savesAsIptablesLegacySave(input: String, expected: String) throws {
        #expect(savedWords(try loadMatch(PacketTypeMatch.self, input)) == expected)
    }

    @Test func aliasesAreTheSameType() throws {
        #expect(try loadMatch(PacketTypeMatch.self, "--pkt-type bcast") == PacketTypeMatch(.broadcast))
        #expect(try loadMatch(PacketTypeMatch.self, "! --pkt-type Host") == PacketTypeMatch(.unicast, negated: true))
    }

    @Test func unknownTypeNamesTheOptionAndValue() {
        let error = modelError { _ = try loadMatch(PacketTypeMatch.self, "--pkt-type foo") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.message.contains("--pkt-type foo") == true)
    }

    @Test func typeIsRequiredAndGivenOnce() {
        #expect(modelError { _ = try loadMatch(PacketTypeMatch.self, "") }?.kind == .missingArgument)
        #expect(modelError { _ = try loadMatch(PacketTypeMatch.self, "--pkt-type host --pkt-type mcast") } != nil)
    }

    @Test func printsTheNumberOfATypeWithoutName() {
        #expect(savedWords(PacketTypeMatch(.init(rawValue: 4))) == "--pkt-type 4")
    }
}
