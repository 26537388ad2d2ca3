import Foundation
import NatgateIPSet
import Testing
import NatgateLab

/// Root, `ip` and the `ipset` oracle; every test works in namespaces it creates and removes.
let ipsetTests = Testing.ConditionTrait.enabled(
    if: ThrowawayNamespace.isSupported && ThrowawayNamespace.findExecutableForTests("ipset"),
    "needs root, ip, iptables-legacy and ipset")

extension ThrowawayNamespace {
    static func findExecutableForTests(_ name: String) -> Bool {
        ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// The `add` lines of `ipset save NAME`, sorted.
    func savedMembers(_ set: String) throws -> [String] {
        try shell("ipset save \(set)").split(separator: "\n").filter { $0.hasPrefix("add ") }.map(String.init).sorted()
    }
}

func members(_ texts: String...) throws -> [IPSetMember] { try texts.map { try IPSetMember($0) } }
