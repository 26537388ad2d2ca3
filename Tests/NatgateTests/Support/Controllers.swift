import Foundation
import Logging
import NatgateModel
import NatgatePolicy
import NatgateSysctl
@testable import Natgate
@testable import NatgateEngine

/// A /proc/sys look-alike and a state directory in /tmp, so forwarding logic runs without root.
final class FakeSysctl: @unchecked Sendable {
    let root: String
    let state: String

    init(ipv4: String = "0", ipv6: String? = "0") throws {
        root = NSTemporaryDirectory() + "natgate-fake-sysctl-\(UUID().uuidString)"
        state = root + "/run"
        try FileManager.default.createDirectory(atPath: root + "/net/ipv4", withIntermediateDirectories: true)
        try (ipv4 + "\n").write(toFile: root + "/net/ipv4/ip_forward", atomically: false, encoding: .utf8)
        if let ipv6 {
            try FileManager.default.createDirectory(atPath: root + "/net/ipv6/conf/all", withIntermediateDirectories: true)
            try (ipv6 + "\n").write(toFile: root + "/net/ipv6/conf/all/forwarding", atomically: false, encoding: .utf8)
        }
    }

    var forwarding: Forwarding { Forwarding(sysctl: Sysctl(root: root), directory: state) }

    func value(_ key: SysctlKey) throws -> String { try Sysctl(root: root).read(key) }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

/// A store that fails the `failOn`-th update of a family, to test rollbacks.
final class FailingStore: RuleStore, @unchecked Sendable {
    let inner: MemoryRuleStore
    let family: Family
    var remaining: Int

    init(_ inner: MemoryRuleStore, failing family: Family, afterUpdates: Int) {
        self.inner = inner
        self.family = family
        self.remaining = afterUpdates
    }

    struct Refused: Error {}

    func read(_ family: Family, tables: [TableName]) throws -> [TableName: Table] { try inner.read(family, tables: tables) }
    func update(_ family: Family, tables: [TableName], _ body: (inout [TableName: Table]) throws -> Void) throws {
        if family == self.family {
            if remaining == 0 { throw Refused() }
            remaining -= 1
        }
        try inner.update(family, tables: tables, body)
    }
    func inNamespace<T>(_ body: () throws -> T) throws -> T { try body() }
}

func gateway(_ subnet: String, _ uplink: String, via: String? = nil, snatTo: String? = nil) throws -> Gateway {
    try Gateway(subnet: IPNetwork(subnet), uplink: InterfaceName(uplink), via: via.map { try InterfaceName($0) }, snatTo: snatTo.map { try IPAddress($0) })
}

/// A Docker-shaped IPv4 host: rules natgate must leave exactly as they are.
func dockerHost() throws -> MemoryRuleStore {
    let text = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :DOCKER - [0:0]
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        -A DOCKER -i docker0 -j RETURN
        COMMIT
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [0:0]
        :OUTPUT ACCEPT [0:0]
        :DOCKER - [0:0]
        :DOCKER-USER - [0:0]
        -A FORWARD -j DOCKER-USER
        -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A FORWARD -o docker0 -j DOCKER
        -A DOCKER-USER -j RETURN
        COMMIT

        """
    return MemoryRuleStore([try Ruleset(saveText: text, family: .ipv4)])
}

func controller(_ store: any RuleStore, _ sysctl: FakeSysctl? = nil) -> GatewayController {
    GatewayController(store: store, forwarding: sysctl?.forwarding, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
}
