import Foundation
import NatgateKernel
import NatgateModel
import NatgateNFTables
import Testing
import NatgateLab

/// The condition every nftables kernel test carries: root, `ip`, and `nft` (the oracle).
let nftablesTests = Testing.ConditionTrait.enabled(
    if: ThrowawayNamespace.isSupported && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"),
    Comment(rawValue: ThrowawayNamespace.unsupportedReason ?? "needs `nft` (Debian: apt-get install nftables)"))

/// Fixtures/NAME, read from the checkout.
func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// How a test fills a throwaway namespace with rules.
enum Loader: CustomStringConvertible, Sendable {
    /// `nft -f Fixtures/nftables/NAME.nft`.
    case nft(String)
    /// `iptables-nft-restore < Fixtures/hosts/NAME.rules` (`ip6tables-nft-restore` for `-v6`).
    case iptablesNFT(String)

    var description: String {
        switch self {
        case .nft(let name): "nft -f \(name).nft"
        case .iptablesNFT(let name): "\(name.hasSuffix("-v6") ? "ip6" : "ip")tables-nft-restore < \(name).rules"
        }
    }

    func load(into scratch: ThrowawayNamespace) throws {
        switch self {
        case .nft(let name): try scratch.shell("nft -f '\(fixturePath("nftables/\(name).nft"))'")
        case .iptablesNFT(let name):
            let tool = name.hasSuffix("-v6") ? "ip6tables-nft-restore" : "iptables-nft-restore"
            try scratch.shell("\(tool) < '\(fixturePath("hosts/\(name).rules"))'")
        }
    }
}

/// Loads `loaders` into a new namespace, reads its ruleset with natgate's reader, and hands both
/// to `body`; the namespace is removed afterwards.
func withLoadedNamespace<T>(_ loaders: [Loader], _ body: (ThrowawayNamespace, NFTRuleset) throws -> T) throws -> T {
    try ThrowawayNamespace.with(prefix: "natgate-nft") { scratch in
        for loader in loaders { try loader.load(into: scratch) }
        let ruleset = try scratch.namespace.run { try NFTRuleset.read() }
        return try body(scratch, ruleset)
    }
}
