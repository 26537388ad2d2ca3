import Testing
@testable import NatgateModel

/// Input that reached the kernel or the terminal before: control characters and `.`/`..` in
/// interface names, huge or invisible text quoted whole in messages, dotted quads read otherwise
/// than iptables reads them.
@Suite struct InputHardeningTests {
    @Test(arguments: ["eth\u{0}", "\u{0}", "eth0\u{1b}[2J", "a\u{7f}", "eth\u{85}0", "e\u{200b}th0", ".", ".."])
    func interfaceNamesIproute2RefusesAreRefused(name: String) throws {
        let error = try #require(throws: ModelError.self) { try InterfaceName(name) }
        #expect(error.kind == .invalidInterface)
        // The message shows the name escaped: nothing invisible reaches a terminal.
        #expect(!error.message.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
    }

    @Test(arguments: ["eth0", "veth+", "+", "v-eth1.100", "wlan_0", "br-1a2b3c4d5e6f", "...", ".a", "é0"])
    func ordinaryNamesAreAccepted(name: String) throws {
        #expect(try InterfaceName(name).rawValue == name)
    }

    @Test func aNulInRestoreTextIsRefusedWithItsPlace() throws {
        let text = "*filter\n-A FORWARD -o eth0\u{0} -j ACCEPT\nCOMMIT\n"
        let error = try #require(throws: ModelError.self) { try Ruleset(saveText: text, family: .ipv4) }
        #expect(error.kind == .invalidInterface)
        #expect(error.location?.line == 2)
        #expect(error.message.contains(#"'eth0\0'"#))
    }

    @Test func hugeInputIsQuotedAsAShortPrefixWithItsLength() throws {
        let huge = String(repeating: "9", count: 1_000_000)
        let error = try #require(throws: ModelError.self) { try IPv4Network(huge) }
        #expect(error.message.utf8.count < 300)
        #expect(error.message.contains("…' (1000000 bytes)"))
        let name = try #require(throws: ModelError.self) { try InterfaceName(huge) }
        #expect(name.message.utf8.count < 300)
        #expect(ModelError.quote("eth0") == "'eth0'")
        #expect(ModelError.quote("a\nb") == "'a\\nb'")
    }

    /// What iptables-legacy-save prints after `iptables-legacy -A FORWARD -s TEXT` (measured with
    /// iptables 1.8.9 in a throwaway namespace; SaveTextOracleTests check the same against the tool).
    @Test(arguments: [
        ("010.1.1.1", "8.1.1.1/32"), ("0x10.1.1.1", "16.1.1.1/32"), ("10", "10.0.0.0/32"), ("10.1", "10.1.0.0/32"),
        ("10.1.2", "10.1.2.0/32"), ("10.1.1.1/010", "10.0.0.0/8"), ("10.1.1.1/0x18", "10.1.1.0/24"), ("+10.1.1.1", "10.1.1.1/32"),
        ("10.1.1.1/+8", "10.0.0.0/8"), ("10.1.1.1/0377.0.0.0", "10.0.0.0/8"), ("00000000000000000010.1.1.1", "1.0.0.0/32"),
        ("0x0a.1.1.1", "10.1.1.1/32"), ("10.1.1.1/0.255.0.0", "0.1.0.0/0.255.0.0"), ("foo/0", "0.0.0.0/0"),
    ])
    func dottedQuadsInTextReadAsIptablesReadsThem(text: String, saved: String) throws {
        #expect(try IPNetwork(iptablesText: text, family: .ipv4).description == saved)
    }

    @Test(arguments: ["10.1.1.1/08", "1.2.3.4.5", "10..1.1", "10.1.1.", "10.1.1.1/33", "10.1.1.1/-1", "10.1.1.1/", "10.1.1.1/255.0.0", "256.1.1.1", "-1.1.1.1", "10.1.1.1/8.0"])
    func dottedQuadsIptablesRefusesAreRefused(text: String) {
        #expect(throws: ModelError.self) { try IPNetwork(iptablesText: text, family: .ipv4) }
    }
}
