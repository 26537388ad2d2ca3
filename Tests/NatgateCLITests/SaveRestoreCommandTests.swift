import Foundation
import Glibc
import NatgateModel
import Testing
import NatgateLab

/// `natgate save` and `natgate restore`, run as a user runs them: the built binary.
@Suite("natgate save / restore")
struct SaveRestoreCommandTests {

    static let rules = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A POSTROUTING -s 10.200.1.0/24 -o eth0 -m comment --comment "natgate: 10.200.1.0/24 via eth0" -j MASQUERADE
        COMMIT
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [0:0]
        :OUTPUT ACCEPT [0:0]
        :NATGATE-FWD - [0:0]
        -A FORWARD -j NATGATE-FWD
        -A NATGATE-FWD -s 10.200.1.0/24 -i v-eth1 -o eth0 -j ACCEPT
        COMMIT

        """

    func natgate(_ arguments: [String], input: String? = nil) throws -> ThrowawayNamespace.CommandResult {
        try ThrowawayNamespace.execute([NatgateBinary.path] + arguments, input: input)
    }

    @Test("restore then save prints the same text, and iptables-legacy-save agrees", kernelTests, .enabled(if: NatgateBinary.isBuilt, "build the natgate binary first (swift build --build-tests)"))
    func restoreThenSave() throws {
        try ThrowawayNamespace.with { scratch in
            let restore = try natgate(["restore", "--netns", scratch.name], input: Self.rules)
            #expect(restore.status == 0, "\(restore.standardError)")
            let save = try natgate(["save", "--netns", scratch.name])
            #expect(save.status == 0, "\(save.standardError)")
            // Tables in the kernel's order, as iptables-legacy-save prints them.
            #expect(save.standardOutput == (try scratch.shell("iptables-legacy-save").withoutCommentLines))
            let nat = try natgate(["save", "--netns", scratch.name, "--table", "nat"])
            #expect(nat.standardOutput == Self.rules.components(separatedBy: "*filter")[0])
            let counters = try natgate(["save", "--netns", scratch.name, "-t", "nat", "--counters"])
            #expect(counters.standardOutput.contains("[0:0] -A POSTROUTING -s 10.200.1.0/24"))
        }
    }

    @Test("--test commits nothing; --noflush keeps other rules", kernelTests, .enabled(if: NatgateBinary.isBuilt, "build the natgate binary first"))
    func testAndNoflush() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy -A INPUT -i lo -j ACCEPT")
            let dry = try natgate(["restore", "--test", "--netns", scratch.name], input: Self.rules)
            #expect(dry.status == 0, "\(dry.standardError)")
            #expect(!(try scratch.shell("iptables-legacy-save")).contains("NATGATE-FWD"))
            let merge = try natgate(["restore", "--noflush", "--netns", scratch.name], input: Self.rules)
            #expect(merge.status == 0, "\(merge.standardError)")
            let save = try scratch.shell("iptables-legacy-save -t filter")
            #expect(save.contains("-A INPUT -i lo -j ACCEPT"))
            #expect(save.contains("-A FORWARD -j NATGATE-FWD"))
            // Without --noflush the file's tables replace the kernel's.
            let flush = try natgate(["restore", "--netns", scratch.name], input: Self.rules)
            #expect(flush.status == 0)
            #expect(!(try scratch.shell("iptables-legacy-save -t filter")).contains("-i lo"))
        }
    }

    @Test("bad input: clear error, exit status, tables unchanged", kernelTests, .enabled(if: NatgateBinary.isBuilt, "build the natgate binary first"),
          arguments: [
            ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:ABCDEFGHIJKLMNOPQRSTUVWXYZABC - [0:0]\nCOMMIT\n", Int32(2), "29 characters long; the limit is 28"),
            ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -o eth0 -j MASQUERADE\nCOMMIT\n", Int32(2), "only valid in the nat table"),
            ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m natgatenosuch --x 1 -j ACCEPT\nCOMMIT\n", Int32(1), "came from text, not from the kernel"),
          ])
    func badInput(_ text: String, _ status: Int32, _ message: String) throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy-restore", input: Self.rules)
            let before = try scratch.shell("iptables-legacy-save").withoutCommentLines
            let result = try natgate(["restore", "--netns", scratch.name], input: text)
            #expect(result.status == status)
            #expect(result.standardError.contains(message), "\(result.standardError)")
            #expect(try scratch.shell("iptables-legacy-save").withoutCommentLines == before)
        }
    }

    @Test("a held lock: restore --wait gives up with the lock's path and holder, tables unchanged", kernelTests, .enabled(if: NatgateBinary.isBuilt, "build the natgate binary first"))
    func heldLock() throws {
        try ThrowawayNamespace.with { scratch in
            let path = privateLockPath()
            defer { unlink(path) }
            let descriptor = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0o600)
            defer { close(descriptor) }
            #expect(flock(descriptor, LOCK_EX) == 0)
            let before = try scratch.shell("iptables-legacy-save").withoutCommentLines
            let result = try ThrowawayNamespace.execute([NatgateBinary.path, "restore", "--wait", "0.3", "--netns", scratch.name],
                                                        input: Self.rules, environment: ["XTABLES_LOCKFILE": path])
            #expect(result.status == 3)
            #expect(result.standardError.contains("--wait SECONDS"), "\(result.standardError)")
            #expect(result.standardError.contains("xtables lock \(path)"), "\(result.standardError)")
            #expect(result.standardError.contains("held by pid \(getpid())"), "\(result.standardError)")
            #expect(try scratch.shell("iptables-legacy-save").withoutCommentLines == before)
        }
    }

    @Test("without CAP_NET_ADMIN: an error that says so, tables unchanged", kernelTests, .enabled(if: NatgateBinary.isBuilt, "build the natgate binary first"))
    func withoutNetAdmin() throws {
        try ThrowawayNamespace.with { scratch in
            try scratch.shell("iptables-legacy-restore", input: Self.rules)
            let before = try scratch.shell("iptables-legacy-save").withoutCommentLines
            // Inside the namespace, drop CAP_NET_ADMIN from the bounding set: the natgate process
            // that setpriv executes runs as root without it.
            let result = try scratch.run(["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--", NatgateBinary.path, "restore"],
                                         input: Self.rules.replacingOccurrences(of: "v-eth1", with: "v-eth2"))
            #expect(result.status == 3)
            #expect(result.standardError.contains("needs root or CAP_NET_ADMIN"), "\(result.standardError)")
            #expect(try scratch.shell("iptables-legacy-save").withoutCommentLines == before)
            let save = try scratch.run(["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--", NatgateBinary.path, "save"])
            #expect(save.status == 3)
            #expect(save.standardError.contains("needs root or CAP_NET_ADMIN"), "\(save.standardError)")
            #expect(save.standardOutput.isEmpty)
        }
    }
}
