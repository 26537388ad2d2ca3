import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

@Suite struct MarkTargetTests {
    // iptables-legacy -t mangle -A PREROUTING -j MARK <input>
    @Test(arguments: [
        ("--set-mark 1", "--set-xmark 0x1/0xffffffff"),
        ("--set-mark 0x10/0xf0", "--set-xmark 0x10/0xf0"),
        ("--set-xmark 0x10/0xf0", "--set-xmark 0x10/0xf0"),
        ("--set-xmark 5", "--set-xmark 0x5/0xffffffff"),
        ("--and-mark 0xff", "--set-xmark 0x0/0xffffff00"),
        ("--or-mark 0x4", "--set-xmark 0x4/0x4"),
        ("--xor-mark 0x4", "--set-xmark 0x4/0x0"),
        ("--set-mark 4294967295", "--set-xmark 0xffffffff/0xffffffff"),
    ])
    func everyFormSavesAsSetXmark(_ input: String, _ expected: String) throws {
        #expect(saved(try target(MarkTarget.self, input)) == expected)
    }

    @Test func buildersMatchTheOptions() throws {
        #expect(try target(MarkTarget.self, "--set-mark 0x10/0xf0") == MarkTarget(.set(0x10, mask: 0xF0)))
        #expect(try target(MarkTarget.self, "--and-mark 0xff") == MarkTarget(.and(0xFF)))
        #expect(try target(MarkTarget.self, "--or-mark 4") == MarkTarget(.or(4)))
        #expect(try target(MarkTarget.self, "--xor-mark 4") == MarkTarget(.xor(4)))
    }

    // iptables-legacy … -j MARK --set-mark 1 --or-mark 2 → cannot be used together
    // iptables-legacy … -j MARK → One of the --set-xmark, --{and,or,xor,set}-mark options is required
    @Test func oneOperationExactly() {
        #expect(modelError { _ = try target(MarkTarget.self, "--set-mark 1 --or-mark 2") }?.kind == .notAllowed)
        #expect(modelError { _ = try target(MarkTarget.self, "") }?.kind == .missingArgument)
    }

    @Test(arguments: ["--set-mark 0x1/", "--set-mark 4294967296", "--set-xmark abc", "--or-mark 1/2", "--xor-mark -1"])
    func badValuesNameTheOptionAndValue(_ input: String) {
        let error = modelError { _ = try target(MarkTarget.self, input) }
        #expect(error?.message.hasPrefix(input + ":") == true)
    }
}
