import Foundation
import NatgateKernel
import NatgateModel

/// A private lock file for one test, so that tests holding it do not stall other iptables users.
func privateLockPath() -> String { "/tmp/natgate-test-lock-\(getpid())-\(UUID().uuidString)" }

let masqueradeRule = Rule(
    source: Negatable(.v4(try! IPv4Network("10.200.1.0/24"))),
    outInterface: Negatable(InterfaceName(valid: "eth0")),
    target: .extension(Target(MasqueradeTarget())))

/// A count several threads add to.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Failure messages several threads report.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}
