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

@Suite struct ChecksumAndTCPMSSTests {
    // iptables-legacy -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill
    // iptables-legacy -t mangle -A POSTROUTING -j CHECKSUM → option "--checksum-fill" must be specified
    @Test func checksum() throws {
        #expect(saved(try target(ChecksumTarget.self, "--checksum-fill")) == "--checksum-fill")
        #expect(modelError { _ = try target(ChecksumTarget.self, "") }?.kind == .missingArgument)
        #expect(ChecksumTarget.allowedTables == [.mangle])
    }

    // iptables-legacy -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS <input>
    @Test(arguments: [
        ("--clamp-mss-to-pmtu", "--clamp-mss-to-pmtu"), ("--set-mss 1400", "--set-mss 1400"),
        ("--set-mss 0x500", "--set-mss 1280"), ("--set-mss 1400 --clamp-mss-to-pmtu", "--clamp-mss-to-pmtu"),
    ])
    func tcpmss(_ input: String, _ expected: String) throws {
        #expect(saved(try target(TCPMSSTarget.self, input, protocol: .tcp)) == expected)
    }

    // … --set-mss 65535 → out of range (0-65515); ip6tables: 0-65495
    @Test func tcpmssLimits() throws {
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--set-mss 65516", protocol: .tcp) }?.message.hasPrefix("--set-mss 65516:") == true)
        #expect((try? target(TCPMSSTarget.self, "--set-mss 65515", protocol: .tcp)) != nil)
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--set-mss 65496", family: .ipv6, protocol: .tcp) } != nil)
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--set-mss 1400", protocol: .udp) }?.kind == .notAllowed)
        #expect(modelError { _ = try target(TCPMSSTarget.self, "", protocol: .tcp) }?.kind == .missingArgument)
    }

    // Kernel: --clamp-mss-to-pmtu refused from PREROUTING and INPUT in every table (EINVAL).
    @Test func clampOnlyOnTheWayOut() {
        #expect(modelError { _ = try target(TCPMSSTarget.self, "--clamp-mss-to-pmtu", protocol: .tcp, table: .mangle, chain: .prerouting) }?.kind == .notAllowed)
        #expect((try? target(TCPMSSTarget.self, "--clamp-mss-to-pmtu", protocol: .tcp, table: .filter, chain: .forward)) != nil)
        #expect((try? target(TCPMSSTarget.self, "--set-mss 1400", protocol: .tcp, table: .mangle, chain: .prerouting)) != nil)
    }
}

@Suite struct CTTargetTests {
    // iptables-legacy -t raw -A PREROUTING -j CT <input>; the last case's order is ct_save_v1's
    // (the kernel refuses an unknown --timeout policy, so it was not loaded).
    @Test(arguments: [
        ("--notrack", "--notrack"), ("--zone 5", "--zone 5"), ("--zone-orig mark", "--zone-orig mark"),
        ("--zone-reply 7", "--zone-reply 7"), ("--ctevents related,new,mark --expevents new", "--ctevents new,related,mark --expevents new"),
        ("", ""), ("--helper ftp", "--helper ftp"), ("--notrack --zone 0x10", "--notrack --zone 16"), ("--zone 0", ""),
        ("--ctevents natseqinfo,secmark", "--ctevents natseqinfo,secmark"),
        ("--zone 3 --timeout slow --helper ftp --notrack", "--notrack --helper ftp --timeout slow --zone 3"),
    ])
    func saveForms(_ input: String, _ expected: String) throws {
        #expect(saved(try target(CTTarget.self, input)) == expected)
    }

    @Test func badValuesNameTheOptionAndValue() {
        #expect(modelError { _ = try target(CTTarget.self, "--ctevents new,bogus") }?.message.hasPrefix("--ctevents new,bogus:") == true)
        #expect(modelError { _ = try target(CTTarget.self, "--zone 65536") }?.message.hasPrefix("--zone 65536:") == true)
        #expect(modelError { _ = try target(CTTarget.self, "--helper abcdefghijklmnop") }?.message.hasPrefix("--helper abcdefghijklmnop:") == true)
        #expect(modelError { _ = try target(CTTarget.self, "--expevents destroy") } != nil)
    }

    // iptables-legacy -t raw -A PREROUTING -j NOTRACK → -j NOTRACK (no options)
    @Test func notrackTakesNoOptions() throws {
        #expect(saved(try target(NotrackTarget.self, "")) == "")
        #expect(modelError { _ = try target(NotrackTarget.self, "--zone 1") }?.kind == .unknownOption)
        #expect(NotrackTarget.allowedTables == [.raw] && CTTarget.allowedTables == [.raw])
        #expect(NotrackTarget.allowedChains == [.prerouting, .output])
    }

    // The matrix measured in throwaway namespaces: LOG, MARK, CONNMARK and TCPMSS --set-mss are
    // accepted in every table and chain.
    @Test func anywhereTargets() {
        #expect(LogTarget.allowedTables == nil && MarkTarget.allowedTables == nil && ConnmarkTarget.allowedTables == nil)
        #expect(TCPMSSTarget.allowedTables == nil && TCPMSSTarget.allowedChains == nil)
    }
}
