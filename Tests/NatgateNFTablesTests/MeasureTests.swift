import Foundation
import NatgateKernel
import NatgateModel
@testable import NatgateNFTables
import Testing
import NatgateLab

/// A hand measurement, run only with NATGATE_MEASURE=1: 10,000 gateways written as one batch
/// versus `iptables-nft-restore` of the same text. Prints numbers; asserts no timing.
@Suite("nftables writer measurement")
struct MeasureTests {
    static let enabled = ProcessInfo.processInfo.environment["NATGATE_MEASURE"] == "1"

    static func text(gateways: Int) -> String {
        var nat = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:NATGATE-POSTROUTING - [0:0]\n-A POSTROUTING -j NATGATE-POSTROUTING\n"
        var filter = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:NATGATE-FORWARD - [0:0]\n-A FORWARD -j NATGATE-FORWARD\n"
        for index in 0..<gateways {
            let subnet = "10.\(index / 256).\(index % 256).0/24"
            let comment = "\"natgate enable \(subnet) eth0\""
            nat += "-A NATGATE-POSTROUTING -s \(subnet) -o eth0 -m comment --comment \(comment) -j MASQUERADE\n"
            filter += "-A NATGATE-FORWARD -s \(subnet) -o eth0 -m comment --comment \(comment) -j ACCEPT\n"
            filter += "-A NATGATE-FORWARD -d \(subnet) -i eth0 -m comment --comment \(comment) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
            filter += "-A NATGATE-FORWARD -d \(subnet) -i eth0 -m comment --comment \(comment) -m conntrack ! --ctstate DNAT -j DROP\n"
        }
        return nat + "COMMIT\n" + filter + "COMMIT\n"
    }

    @Test("10,000 gateways: one natgate batch vs iptables-nft-restore", .enabled(if: enabled), nftablesTests)
    func tenThousandGateways() throws {
        let text = MeasureTests.text(gateways: 10_000)
        let path = NSTemporaryDirectory() + "natgate-measure-\(getpid()).rules"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for round in 1...3 {
            try ThrowawayNamespace.with(prefix: "natgate-nftm") { reference in
                let start = ContinuousClock.now
                try reference.shell("iptables-nft-restore < '\(path)'")
                let restore = ContinuousClock.now - start
                try ThrowawayNamespace.with(prefix: "natgate-nftm") { natgate in
                    let t0 = ContinuousClock.now
                    let model = try Ruleset(saveText: text, family: .ipv4)
                    let t1 = ContinuousClock.now
                    var batch = NFTBatch()
                    try batch.addTables(of: model)
                    let t2 = ContinuousClock.now
                    try natgate.namespace.run { try batch.commit() }
                    let t3 = ContinuousClock.now
                    let count = try natgate.namespace.run { try NFTRuleset.read() }.rules.count
                    print("measure round \(round): iptables-nft-restore (whole process, ip netns exec) \(restore); natgate parse \(t1 - t0), encode \(t2 - t1), build+send+commit \(t3 - t2), rules \(count)")
                }
            }
        }
    }
}
