import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

@Suite struct ConnmarkTargetTests {
    // iptables-legacy -t mangle -A PREROUTING -j CONNMARK <input>
    @Test(arguments: [
        ("--set-mark 1", "--set-xmark 0x1/0xffffffff"),
        ("--save-mark", "--save-mark --nfmask 0xffffffff --ctmask 0xffffffff"),
        ("--restore-mark --mask 0xff", "--restore-mark --nfmask 0xff --ctmask 0xff"),
        ("--restore-mark --nfmask 0xf --ctmask 0xf0", "--restore-mark --nfmask 0xf --ctmask 0xf0"),
        ("--set-mark 1 --mask 0xff", "--set-xmark 0x1/0xff"),
        ("--save-mark --left-shift-mark 8", "--save-mark --nfmask 0xffffffff --ctmask 0xffffffff --left-shift-mark 8"),
        ("--save-mark --right-shift-mark 0", "--save-mark --nfmask 0xffffffff --ctmask 0xffffffff"),
        ("--and-mark 0xf", "--set-xmark 0x0/0xfffffff0"),
    ])
    func saveForms(_ input: String, _ expected: String) throws {
        #expect(saved(try target(ConnmarkTarget.self, input)) == expected)
    }

    @Test func savedTextParsesBackToTheSameTarget() throws {
        for input in ["--save-mark --left-shift-mark 8", "--restore-mark --nfmask 0xf --ctmask 0xf0", "--xor-mark 3"] {
            let first = try target(ConnmarkTarget.self, input)
            #expect(try target(ConnmarkTarget.self, saved(first)) == first)
        }
    }

    // iptables-legacy … -j CONNMARK --mask 0xf → CONNMARK target: No operation specified
    @Test func needsOneOperation() {
        #expect(modelError { _ = try target(ConnmarkTarget.self, "--mask 0xf") }?.kind == .missingArgument)
        #expect(modelError { _ = try target(ConnmarkTarget.self, "--save-mark --restore-mark") }?.kind == .notAllowed)
        #expect(modelError { _ = try target(ConnmarkTarget.self, "--save-mark --left-shift-mark 33") }?.message.hasPrefix("--left-shift-mark 33:") == true)
    }
}
