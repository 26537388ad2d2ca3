import Foundation
import NatgateKernel
import NatgateModel
import Testing
import NatgateLab

/// The condition every kernel-touching test carries: root, `ip` and the legacy iptables tools.
/// Each such test creates its own namespace with `ThrowawayNamespace` and removes it, also on failure.
let kernelTests = Testing.ConditionTrait.enabled(
    if: ThrowawayNamespace.isSupported,
    Comment(rawValue: ThrowawayNamespace.unsupportedReason ?? ""))

/// The inode of the network namespace the calling thread is in.
func currentNamespaceInode() throws -> String {
    try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
}
