#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NatgateKernel
import NatgateModel
import Testing
@testable import NatgateSysctl
import NatgateLab

@Suite struct SysctlKeyTests {
    @Test(arguments: [
        ("net.ipv4.ip_forward", "net/ipv4/ip_forward"),
        ("net/ipv4/ip_forward", "net/ipv4/ip_forward"),
        ("net.ipv6.conf.all.forwarding", "net/ipv6/conf/all/forwarding"),
        ("net.ipv4.conf.eth0.forwarding", "net/ipv4/conf/eth0/forwarding"),
        ("net.ipv4.conf.eth0.100.forwarding", "net/ipv4/conf/eth0.100/forwarding"),
        ("net/ipv6/conf/v-eth1/forwarding", "net/ipv6/conf/v-eth1/forwarding"),
        ("net.ipv6.conf.default.forwarding", "net/ipv6/conf/default/forwarding"),
    ])
    func forwardingKeysParse(text: String, path: String) throws {
        let key = try SysctlKey(text)
        #expect(key.relativePath == path)
        #expect(try SysctlKey(key.description) == key)
    }

    @Test(arguments: [
        "net.ipv4.tcp_syncookies", "kernel.panic", "net.ipv4.conf.eth0.rp_filter", "net.ipv4.conf..forwarding",
        "net.ipv4.conf.veth+.forwarding", "net.ipv4.conf.abcdefghijklmnop.forwarding", "net/ipv4/conf/a/b/forwarding",
        "net.ipv4.ip_forward.x", "",
    ])
    func otherKeysAreRefused(text: String) {
        #expect(throws: SysctlError.self) { try SysctlKey(text) }
    }

    @Test func wildcardInterfacesAreRefused() throws {
        #expect(throws: SysctlError.self) { try SysctlKey.forwarding(.ipv4, interface: InterfaceName("veth+")) }
        #expect(try SysctlKey.forwarding(.ipv6, interface: InterfaceName("eth0")).description == "net.ipv6.conf.eth0.forwarding")
    }
}

@Suite(.enabled(if: canCreateNamespaces, "needs root to create network namespaces"), .serialized)
struct SysctlNamespaceTests {
    @Test func writesStayInTheThreadsNamespace() throws {
        let outside = try Sysctl().read(.ipv4Forward)
        let inside = try inThrowawayNamespace { () throws -> [String] in
            let sysctl = Sysctl()
            let before = try sysctl.read(.ipv4Forward)
            try sysctl.write(.ipv4Forward, "1")
            try sysctl.write(.ipv6Forward, "1")
            return [before, try sysctl.read(.ipv4Forward), try sysctl.read(.ipv6Forward), try sysctl.read(try SysctlKey("net.ipv4.conf.lo.forwarding"))]
        }
        #expect(inside == ["0", "1", "1", "1"])
        #expect(try Sysctl().read(.ipv4Forward) == outside)
    }

    @Test func invalidValuesAndMissingInterfacesAreRefused() throws {
        try inThrowawayNamespace { () throws -> Void in
            #expect(throws: SysctlError.self) { try Sysctl().write(.ipv4Forward, "2") }
            let error = try #require(throws: SysctlError.self) { try Sysctl().read(try SysctlKey("net.ipv4.conf.nosuch0.forwarding")) }
            #expect(error.errno == ENOENT)
            #expect(error.message.contains("nosuch0"))
        }
    }

    @Test func enableRecordsAndRestorePutsBackPerNamespace() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let forwarding = Forwarding(directory: directory)
        try inThrowawayNamespace { () throws -> Void in
            let identity = try NetworkNamespaceIdentity.current()
            #expect(try forwarding.enable(.ipv4Forward) == .changed(.ipv4Forward, previous: "0", written: "1"))
            #expect(try forwarding.enable(.ipv4Forward) == .alreadySet(.ipv4Forward, "1"))
            #expect(try forwarding.record().changes == [.ipv4Forward: ForwardingRecord.Change(previous: "0", written: "1")])
            let file = directory + "/netns-\(identity.device)-\(identity.inode).json"
            #expect(FileManager.default.fileExists(atPath: file))

            // Another namespace has a record of its own.
            try inThrowawayNamespace { () throws -> Void in
                #expect(try forwarding.record().changes.isEmpty)
                #expect(try forwarding.restore(.ipv4Forward) == .nothingRecorded(.ipv4Forward))
            }

            #expect(try forwarding.restore(.ipv4Forward) == .restored(.ipv4Forward, from: "1", to: "0"))
            #expect(try Sysctl().read(.ipv4Forward) == "0")
            #expect(!FileManager.default.fileExists(atPath: file))
            #expect(try forwarding.restore(.ipv4Forward) == .nothingRecorded(.ipv4Forward))
        }
    }

    @Test func forwardingThatWasAlreadyOnIsLeftOn() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let forwarding = Forwarding(directory: directory)
        try inThrowawayNamespace { () throws -> Void in
            try Sysctl().write(.ipv6Forward, "1")
            #expect(try forwarding.enable(.ipv6Forward) == .alreadySet(.ipv6Forward, "1"))
            #expect(try forwarding.restore(.ipv6Forward) == .nothingRecorded(.ipv6Forward))
            #expect(try Sysctl().read(.ipv6Forward) == "1")
        }
    }

    @Test func aValueChangedByAnotherToolIsLeftAlone() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let forwarding = Forwarding(directory: directory)
        try inThrowawayNamespace { () throws -> Void in
            _ = try forwarding.enable(.ipv4Forward)
            try Sysctl().write(.ipv4Forward, "0")
            #expect(try forwarding.restore(.ipv4Forward) == .leftAlone(.ipv4Forward, current: "0", recordedWritten: "1"))
            #expect(try forwarding.record().changes.isEmpty)
        }
    }

    @Test func aRecordFromAGoneNamespaceWithTheSameInodeIsIgnored() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let forwarding = Forwarding(directory: directory)
        try inThrowawayNamespace { () throws -> Void in
            let identity = try NetworkNamespaceIdentity.current()
            try #require(identity.cookie != nil)
            var stale = identity
            stale.cookie = identity.cookie! &+ 1000
            let record = ForwardingRecord(namespace: stale, changes: [.ipv4Forward: .init(previous: "1", written: "1")])
            try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: directory + "/netns-\(identity.device)-\(identity.inode).json"))
            #expect(try forwarding.record().changes.isEmpty)
            #expect(try forwarding.restore(.ipv4Forward) == .nothingRecorded(.ipv4Forward))
        }
    }
}

@Suite(.enabled(if: ThrowawayNamespace.isSupported, "needs root, ip and iptables-legacy"), .serialized)
struct SysctlNetnsRunnerTests {
    @Test func forwardingWorksInsideTheNamespaceRunnerAndIsKeyedByThatNamespace() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let forwarding = Forwarding(directory: directory)
        let outside = try Sysctl().read(.ipv4Forward)
        try ThrowawayNamespace.with(prefix: "natgate-sysctl") { scratch in
            let (outcome, identity) = try scratch.namespace.run {
                (try forwarding.enable(.ipv4Forward), try NetworkNamespaceIdentity.current())
            }
            #expect(outcome == .changed(.ipv4Forward, previous: "0", written: "1"))
            #expect(try scratch.shell("cat /proc/sys/net/ipv4/ip_forward") == "1\n")
            #expect(try Sysctl().read(.ipv4Forward) == outside)
            // The record is keyed by the namespace the runner entered: /run/netns/NAME's inode.
            var info = stat()
            #expect(stat("/run/netns/\(scratch.name)", &info) == 0)
            #expect(identity.inode == UInt64(info.st_ino))
            #expect(FileManager.default.fileExists(atPath: directory + "/netns-\(identity.device)-\(identity.inode).json"))
            #expect(try forwarding.record().changes.isEmpty, "the test thread's own namespace has no record")
            #expect(try scratch.namespace.run { try forwarding.restore(.ipv4Forward) } == .restored(.ipv4Forward, from: "1", to: "0"))
            #expect(try scratch.shell("cat /proc/sys/net/ipv4/ip_forward") == "0\n")
        }
    }
}
