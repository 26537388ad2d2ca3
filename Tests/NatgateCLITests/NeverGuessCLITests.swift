import Foundation
import NatgateModel
import NatgatePolicy
import Testing
import NatgateLab

/// Repair never guesses (NatgateTests/NeverGuessTests), seen through the built binary in throwaway
/// namespaces, with the library setting up the gateways whose tags a hand edit spoils.
@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct NeverGuessCLITests {
    let compiler = GatewayCompiler()

    /// natgate's chain in `table` as the kernel holds it.
    func owned(_ scratch: Scratch, _ table: TableName) throws -> [Rule] {
        try tables(try scratch.save(), .ipv4)[table]?.chain(named: OwnedChains.owned(in: table)!)?.rules.map(\.withoutCounters) ?? []
    }

    @Test func aFilterChainFlushedByHandComesBackExactlyAtTheNextEnable() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            let natgate = scratch.controller
            let a = try wideGateway()
            try natgate.enable(a)
            try scratch.namespace.shell("iptables-legacy -t filter -F NATGATE-FORWARD")
            let result = try scratch.natgate(["enable", "10.200.2.0/24", "eth0", "--no-sysctl"], environment: env)
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput.contains("repaired") && result.standardOutput.contains("NATGATE-FORWARD"), "\(result.standardOutput)")
            let set = try GatewaySet([a, try gateway("10.200.2.0/24", "eth0")])
            #expect(try owned(scratch, .filter) == compiler.rules(for: set, family: .ipv4, table: .filter))
            #expect(try owned(scratch, .nat) == compiler.rules(for: set, family: .ipv4, table: .nat))
            #expect(!(try natgate.status().hasDrift))
        }
    }

    @Test func anEditedTagIsLeftAsItIsAndEnableSaysToApplyThePolicy() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            let natgate = scratch.controller
            let a = try wideGateway()
            try natgate.enable(a)
            let comment = try #require(commentOf(try owned(scratch, .filter)[0]))
            let saved = try scratch.save()
            let first = try #require(saved.range(of: "\"\(comment)\""))
            try scratch.load(saved.replacingCharacters(in: first, with: "\"\(comment) --random-fully\""))
            let edited = try owned(scratch, .filter)
            #expect(commentOf(edited[0]) == comment + " --random-fully")
            let natBefore = try owned(scratch, .nat)
            let status = try scratch.natgate(["status", "--check"], environment: env)
            #expect(status.status == 1)
            #expect(status.standardOutput.contains("natgate apply"), "\(status.standardOutput)")
            let result = try scratch.natgate(["enable", "10.200.2.0/24", "eth0", "--no-sysctl"], environment: env)
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput.contains("natgate apply"), "\(result.standardOutput)")
            #expect(Array(try owned(scratch, .filter).prefix(2)) == edited)
            #expect(Array(try owned(scratch, .nat).prefix(1)) == natBefore)
        }
    }

    @Test func aForeignJumpIsNamedByStatusAndEnableAndFlushRefusesChangingNothing() throws {
        try Scratch.with { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            #expect(try scratch.natgate(["enable", "10.200.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            try scratch.namespace.shell("iptables-legacy -t filter -A INPUT -j NATGATE-FORWARD")
            let command = "iptables-legacy -t filter -D INPUT -j NATGATE-FORWARD"
            let status = try scratch.natgate(["status"], environment: env)
            #expect(status.standardOutput.contains(command), "\(status.standardOutput)")
            let enable = try scratch.natgate(["enable", "10.200.2.0/24", "eth0", "--no-sysctl"], environment: env)
            #expect(enable.status == 0)
            #expect(enable.standardOutput.contains(command), "\(enable.standardOutput)")
            let before = try scratch.save()
            let flush = try scratch.natgate(["flush", "--no-sysctl"], environment: env)
            #expect(flush.status == 3)
            #expect(flush.standardError.contains(command), "\(flush.standardError)")
            #expect(try scratch.save() == before)
            // The command it names is the one that unblocks it.
            try scratch.namespace.shell(command)
            #expect(try scratch.natgate(["flush", "--no-sysctl"], environment: env).status == 0)
            #expect(!(try scratch.save()).contains("NATGATE"))
        }
    }
}
