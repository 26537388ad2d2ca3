import ArgumentParser
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Natgate
import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import NatgateLab

/// `natgate demo`: the article's scenario, end to end, in throwaway network namespaces.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show natgate masquerading a namespace, with real traffic, in throwaway namespaces.",
        discussion: """
            Builds the article's topology in network namespaces of its own: an 'outside' namespace \
            with a TCP responder on 203.0.113.1 (a documentation address), a 'host' namespace whose \
            eth0 is a veth to it, and ns1 (10.200.1.2/24) behind v-eth1 (10.200.1.1/24). The outside \
            has no route back to 10.200.1.0/24, so ns1 gets an answer only if the host masquerades it.

            It shows that ns1 cannot connect without natgate, runs `enable 10.200.1.0/24 eth0` in \
            the host namespace, prints the rules committed there, connects from ns1 and prints the \
            source address the responder saw (the host's 203.0.113.2: masqueraded), then runs \
            `disable` and shows the connection no longer gets through. It removes every namespace \
            it made, also on failure, Ctrl-C or SIGTERM. Your own network namespace is never touched.

            Needs root. Exit status: 0 when every step behaved as described, 1 when one did not, \
            2 when the lab could not be built (the message says which command failed).
            """
    )

    @Option(help: "How long to wait for a connection before calling it blocked, in seconds.")
    var timeout: Double = 2

    func validate() throws {
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds; got \(timeout).") }
    }

    func run() throws {
        guard getuid() == 0 else {
            FileHandle.standardError.write(Data("natgate demo: needs root, to create network namespaces. Run it with sudo, or Scripts/demo as root.\n".utf8))
            throw ExitCode(2)
        }
        _ = DemoGateway.netnsDirectoryExisted  // before any namespace exists
        let interrupts = Self.removeNamespacesOnSignals()
        defer { interrupts.forEach { $0.cancel() } }
        var demo = Demo(timeout: .milliseconds(Int(timeout * 1000)))
        let passed: Bool
        do {
            passed = try demo.run()
        } catch {
            demo.print("")
            demo.print("natgate demo: \(error)")
            demo.print("Removed every namespace the demo made. Nothing outside them was changed.")
            throw ExitCode(2)
        }
        if !passed { throw ExitCode(1) }
    }

    /// On SIGINT or SIGTERM, removes the lab's namespaces and exits (130 or 143, as a shell would).
    static func removeNamespacesOnSignals() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nnatgate demo: interrupted; removing its namespaces.\n".utf8))
                LabNamespace.removeAllCreated()
                DemoGateway.removeStateDirectory()
                DemoGateway.removeNetnsDirectoryIfCreated()
                Glibc.exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// The scenario's steps and what they print.
private struct Demo {
    let timeout: Duration
    var failures: [String] = []

    init(timeout: Duration) { self.timeout = timeout }

    func print(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func indented(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            print("       " + line)
        }
    }

    mutating func check(_ passed: Bool, _ expectation: String) {
        if passed {
            print("   [ok] \(expectation)")
        } else {
            print("   [NOT AS EXPECTED] \(expectation)")
            failures.append(expectation)
        }
    }

    /// Connects from ns1 to the responder and pings the outside; prints both and returns them.
    func reach(_ lab: LabTopology, _ responder: TCPResponder) throws -> (tcp: TCPProbe.Outcome, ping: Bool) {
        let from = lab.inner[0].namespace
        let tcp = try TCPProbe.connect(from: from, to: LabTopology.outsideAddress, port: responder.port, timeout: timeout)
        print("     TCP to \(LabTopology.outsideAddress):\(responder.port): \(tcp)")
        let ping = try from.ping(LabTopology.outsideAddress, timeout: .seconds(1))
        print("     ping \(LabTopology.outsideAddress): \(ping ? "reply" : "no reply")")
        return (tcp, ping)
    }

    /// Runs every step; true when each behaved as described. Throws when the lab itself fails.
    mutating func run() throws -> Bool {
        let started = ContinuousClock.now
        let subnet = "10.200.1.0/24"
        let uplink = LabTopology.uplink
        print("natgate demo: the article's namespace scenario, with real traffic, in throwaway namespaces")
        print("")
        let lab = try LabTopology()
        defer {
            lab.remove()
            DemoGateway.removeStateDirectory()
            DemoGateway.removeNetnsDirectoryIfCreated()
        }
        let ns1 = lab.inner[0]
        let responder = try lab.startResponder(in: lab.outside, address: LabTopology.outsideAddress)
        let target = "\(LabTopology.outsideAddress):\(responder.port)"

        print("1. The topology (namespaces are removed at the end)")
        print("     outside  \(lab.outside.name): \(LabTopology.outsideInterface) \(LabTopology.outsideAddress)/24, a TCP responder on \(target)")
        print("     host     \(lab.host.name): \(uplink) \(LabTopology.uplinkAddress)/24, \(ns1.hostInterface) \(ns1.gateway)/24")
        print("     ns1      \(ns1.namespace.name): \(ns1.interface) \(ns1.address)/24, default via \(ns1.gateway)")
        print("     The outside has no route to \(subnet): only NAT on the host can get ns1 an answer.")
        print("")

        print("2. Before natgate, from ns1:")
        let before = try reach(lab, responder)
        check(before.tcp.answer == nil && !before.ping, "ns1 cannot reach the outside without natgate (forwarding is off, nothing is NATed)")
        print("")

        print("3. natgate enable \(subnet) \(uplink) --netns \(lab.host.name)")
        let gateway = try DemoGateway(host: lab.host, subnet: subnet, uplink: uplink)
        // Should a later step throw, take natgate's state for the lab's host away with the lab.
        defer { _ = try? gateway.natgate.flush() }
        indented(try gateway.enable())
        print("     The rules in the host namespace now (natgate save):")
        let rules = try gateway.rules()
        indented(rules)
        print("     net.ipv4.ip_forward = \(try lab.host.sysctl("net.ipv4.ip_forward"))")
        check(rules.contains("-j MASQUERADE"), "a MASQUERADE rule for \(subnet) out of \(uplink) is committed")
        print("")

        print("4. With natgate, from ns1:")
        let through = try reach(lab, responder)
        check(
            through.tcp.answer == LabTopology.uplinkAddress,
            "the responder saw \(LabTopology.uplinkAddress), the host's uplink address, not ns1's \(ns1.address): masqueraded")
        check(through.ping, "ping gets a reply through the gateway")
        let packets = try gateway.masqueradePackets()
        print("     natgate status --netns \(lab.host.name)")
        indented(try gateway.natgate.status().text(verbose: false))
        print("     MASQUERADE rule counter: \(packets) packets (the TCP connection and the ping: conntrack sends only the first packet of each flow through nat)")
        check(packets >= 1, "the MASQUERADE rule counted ns1's traffic")
        print("")

        print("5. natgate disable \(subnet) \(uplink) --netns \(lab.host.name)")
        indented(try gateway.disable())
        let after = try gateway.rules()
        print("     net.ipv4.ip_forward = \(try lab.host.sysctl("net.ipv4.ip_forward"))")
        check(!after.contains("NATGATE") && !after.contains("MASQUERADE"), "no natgate chain or rule is left in the host namespace")
        print("   From ns1:")
        let cutOff = try reach(lab, responder)
        check(cutOff.tcp.answer == nil && !cutOff.ping, "ns1's traffic no longer gets through")
        print("")

        let namespaces = lab.allNamespaces.count
        lab.remove()
        let left = lab.allNamespaces.filter { FileManager.default.fileExists(atPath: "/run/netns/\($0.name)") }
        print("6. Removed the demo's \(namespaces) namespaces")
        check(left.isEmpty, "no namespace of the demo is left")
        print("")

        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if failures.isEmpty {
            print("The traffic was masqueraded (ns1's \(ns1.address) reached the outside as \(LabTopology.uplinkAddress)) and cut off again after disable. (\(String(format: "%.1f", seconds)) s)")
            return true
        }
        print("natgate demo: \(failures.count) step(s) did not behave as described:")
        for failure in failures { print("  - \(failure)") }
        return false
    }
}

/// The gateway steps of the demo: natgate's façade (the library `natgate enable` and `disable`
/// use), working in the lab's host namespace only.
private struct DemoGateway {
    let host: LabNamespace
    let natgate: GatewayController
    let gateway: Gateway

    init(host: LabNamespace, subnet: String, uplink: String) throws {
        var logger = Logger(label: "natgate.demo")
        logger.logLevel = .warning
        self.host = host
        // The lab's host namespace is thrown away at the end, so the record of the forwarding
        // value natgate found there goes with it: a directory of the demo's own, not /run/natgate.
        // The xtables lock too: the lab's namespaces are the demo's alone, so a lock file of its
        // own serialises nothing less, and /run/xtables.lock is not left on a host that had none.
        try FileManager.default.createDirectory(atPath: DemoGateway.stateDirectory, withIntermediateDirectories: true)
        natgate = GatewayController(
            store: KernelRuleStore(
                namespace: try NetworkNamespace.named(host.name), logger: logger,
                lock: XtablesLock(path: DemoGateway.stateDirectory + "/xtables.lock"),
                intentLog: ChangeIntentLog(directory: DemoGateway.stateDirectory)),
            forwarding: Forwarding(directory: DemoGateway.stateDirectory), logger: logger)
        gateway = try Gateway(subnet: IPNetwork(subnet), uplink: InterfaceName(uplink))
    }

    /// Where the demo keeps its forwarding record while it runs.
    static let stateDirectory = NSTemporaryDirectory() + "natgate-demo-state-\(getpid())"

    /// Removes the demo's state directory (at the end, also after a failure or a signal).
    static func removeStateDirectory() {
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    /// Whether /run/netns existed before the demo: `ip netns add` creates it (and mounts it on
    /// itself) on a host that had none.
    static let netnsDirectoryExisted = FileManager.default.fileExists(atPath: "/run/netns")

    /// Removes /run/netns when the demo's namespaces made it and none is left in it, so that the
    /// demo leaves nothing behind (at the end, also after a failure or a signal).
    static func removeNetnsDirectoryIfCreated() {
        guard !netnsDirectoryExisted, (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns"))?.isEmpty == true else { return }
        _ = umount2("/run/netns", Int32(MNT_DETACH))
        _ = rmdir("/run/netns")
    }

    /// `natgate enable`; returns what it reported.
    func enable() throws -> String {
        let report = try natgate.enable(gateway)
        return ([report.message] + report.forwarding.map(\.description)).joined(separator: "\n")
    }

    /// `natgate disable`; returns what it reported.
    func disable() throws -> String {
        let report = try natgate.disable(gateway.key)
        return ([report.message] + report.forwarding.map(\.description)).joined(separator: "\n")
    }

    /// The host namespace's tables as `natgate save` prints them: read through libiptc, rendered
    /// in canonical iptables-save form, without counters.
    func rules() throws -> String {
        let backend = KernelBackend(family: .ipv4, namespace: try NetworkNamespace.named(host.name))
        let tables = try backend.read(try backend.tablesInUse()).map(\.withoutRuleCounters)
        return Ruleset(family: .ipv4, tables: tables).saveText()
    }

    /// The packets the gateway's MASQUERADE rule has matched, as `natgate status` reports them.
    func masqueradePackets() throws -> UInt64 {
        let gateways = try natgate.status().families.flatMap(\.gateways)
        return gateways.first { $0.gateway.key == gateway.key }?.natPackets ?? 0
    }
}
