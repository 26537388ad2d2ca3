import Testing
@testable import NatgateModel

// Expected texts are what iptables-legacy-save 1.8.9 printed after the command in the comment,
// run in `unshare --net` (ip6tables-legacy for IPv6).

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
