import Testing
@testable import NatgateModel

@Suite struct AddressTests {
    @Test func ipv4NetworkWithHostBitsSuggestsTheNetwork() throws {
        #expect(throws: ModelError.self) { try IPv4Network("10.200.1.5/24") }
        do {
            _ = try IPv4Network("10.200.1.5/24")
        } catch let error as ModelError {
            #expect(error.message.contains("did you mean 10.200.1.0/24"))
        }
    }

    @Test func ipv4NetworkAcceptsDottedMasks() throws {
        #expect(try IPv4Network("10.200.1.0/255.255.255.0").description == "10.200.1.0/24")
        #expect(try IPv4Network("10.0.0.0/255.0.255.0").description == "10.0.0.0/255.0.255.0")
        #expect(try IPv4Network("192.0.2.7").description == "192.0.2.7/32")
        #expect(try IPv4Network("10.200.1.5/24", strict: false).description == "10.200.1.0/24")
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::2:3", "::0.2.0.3"), ("fd00:200:1::", "fd00:200:1::"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func ipv6PrintsAsInetNtop(input: String, expected: String) throws {
        #expect(try IPv6Address(input).description == expected)
    }

    @Test func interfaceNamesLongerThan15BytesAreRefused() {
        #expect(throws: ModelError.self) { try InterfaceName("abcdefghijklmnop") }
        #expect((try? InterfaceName("abcdefghijklmno")) != nil)
        #expect(throws: ModelError.self) { try InterfaceName("ve+th") }
    }

    @Test func chainNamesLongerThan28AreRefused() {
        #expect(throws: ModelError.self) { try ChainName(String(repeating: "A", count: 29)) }
        #expect((try? ChainName(String(repeating: "A", count: 28))) != nil)
    }
}
