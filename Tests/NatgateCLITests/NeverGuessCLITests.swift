import Foundation
import Natgate
import NatgateModel
import NatgatePolicy
import Testing
import NatgateLab

/// Repair never guesses (NatgateTests/NeverGuessTests), seen through the built binary in throwaway
/// namespaces. (The tests of spoiled per-gateway tags drive the library with a store without ip
/// sets, since the binary keeps gateways in sets: KernelNeverGuessTests.)
@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct NeverGuessCLITests {
    @Test(arguments: Backend.allCases)
    func aForeignJumpIsNamedByStatusAndEnableAndFlushRefusesChangingNothing(_ backend: Backend) throws {
        try Scratch.with(backend: backend) { scratch in
            let env = ["NATGATE_STATE_DIRECTORY": scratch.state]
            #expect(try scratch.natgate(["enable", "10.200.1.0/24", "eth0", "--no-sysctl"], environment: env).status == 0)
            try scratch.namespace.shell("\(scratch.iptables) -t filter -A INPUT -j NATGATE-FORWARD")
            let command = "\(scratch.iptables) -t filter -D INPUT -j NATGATE-FORWARD"
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
