import Testing
@testable import NatgateModel

// Expected texts are what ip6tables-legacy-save / iptables-legacy-save 1.8.9 printed after the
// command in the comment, run in `unshare --net`.
@Suite struct HopLimitTargetTests {
    // ip6tables-legacy -t mangle -A POSTROUTING -j HL --hl-inc 2; … --hl-set 255
    // iptables-legacy -t mangle -A POSTROUTING -j TTL --ttl-set 64; … --ttl-dec 0x10 → --ttl-dec 16
    @Test func saveForms() throws {
        #expect(saved(try target(HLTarget.self, "--hl-inc 2", family: .ipv6), family: .ipv6) == "--hl-inc 2")
        #expect(saved(try target(HLTarget.self, "--hl-set 255", family: .ipv6), family: .ipv6) == "--hl-set 255")
        #expect(saved(try target(HLTarget.self, "--hl-set 0", family: .ipv6), family: .ipv6) == "--hl-set 0")
        #expect(saved(try target(TTLTarget.self, "--ttl-set 64")) == "--ttl-set 64")
        #expect(saved(try target(TTLTarget.self, "--ttl-dec 0x10")) == "--ttl-dec 16")
        #expect(try target(TTLTarget.self, "--ttl-inc 1") == TTLTarget(.increment(1)))
    }

    // ip6tables-legacy … -j HL --hl-dec 0 → bad value for option "--hl-dec", or out of range (1-255)
    @Test func badValuesNameTheOptionAndValue() {
        #expect(modelError { _ = try target(HLTarget.self, "--hl-dec 0", family: .ipv6) }?.message.hasPrefix("--hl-dec 0:") == true)
        #expect(modelError { _ = try target(TTLTarget.self, "--ttl-set 256") }?.message.hasPrefix("--ttl-set 256:") == true)
        #expect(modelError { _ = try target(TTLTarget.self, "--ttl-set 1 --ttl-inc 1") }?.kind == .notAllowed)
        #expect(modelError { _ = try target(HLTarget.self, "", family: .ipv6) }?.kind == .missingArgument)
        #expect(modelError { _ = try target(TTLTarget.self, "! --ttl-set 1") }?.kind == .notAllowed)
    }

    // Kernel: HL and TTL are refused outside mangle; each exists for one family.
    @Test func placement() throws {
        #expect(HLTarget.allowedTables == [.mangle] && TTLTarget.allowedTables == [.mangle])
        #expect(HLTarget.families == [.ipv6] && TTLTarget.families == [.ipv4])
        #expect(throws: ModelError.self) { try Rule(saveArguments: "-j TTL --ttl-set 1", family: .ipv4, table: .filter, chain: .input) }
        let rule = try Rule(saveArguments: "-j HL --hl-dec 1", family: .ipv6, table: .mangle, chain: .postrouting)
        #expect(rule.saveArguments(family: .ipv6, table: .mangle, chain: .postrouting) == "-j HL --hl-dec 1")
    }
}
