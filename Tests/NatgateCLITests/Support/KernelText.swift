import Foundation
import Testing
import NatgateLab

/// The condition every kernel-touching test carries: root, `ip` and the legacy iptables tools.
/// Each such test creates its own namespace with `ThrowawayNamespace` and removes it, also on failure.
let kernelTests = Testing.ConditionTrait.enabled(
    if: ThrowawayNamespace.isSupported,
    Comment(rawValue: ThrowawayNamespace.unsupportedReason ?? ""))

/// A private lock file for one test, so that tests holding it do not stall other iptables users.
func privateLockPath() -> String { "/tmp/natgate-test-lock-\(getpid())-\(UUID().uuidString)" }

extension String {
    /// iptables-save output without its `#` lines (which carry a date).
    var withoutCommentLines: String {
        split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }
}
