import Foundation
import Logging
import NatgateKernel
import NatgateModel
import NatgatePolicy
import NatgateSysctl
import Natgate
import NatgateEngine
import NatgateLab

/// natgate's façade driven in a lab's host namespace, for the in-process `EndToEnd*` suites.
enum LabGateways {
    /// natgate's façade working in the lab's host namespace.
    static func natgate(_ lab: LabTopology) throws -> GatewayController {
        var logger = Logger(label: "natgate.e2e")
        logger.logLevel = .warning
        // Forwarding records of the lab's throwaway host go to a directory of this test process,
        // not /run/natgate, also when the tests run without Scripts/test.
        return GatewayController(
            store: KernelRuleStore(namespace: try NetworkNamespace.named(lab.host.name), logger: logger),
            forwarding: Forwarding(directory: stateDirectory), logger: logger)
    }

    /// Where the lab hosts' forwarding records go: a directory of this test process.
    static let stateDirectory: String = {
        let path = NSTemporaryDirectory() + "natgate-e2e-state-\(getpid())"
        atexit { try? FileManager.default.removeItem(atPath: LabGateways.stateDirectory) }
        return path
    }()

    /// A gateway on the lab's uplink.
    static func gateway(_ subnet: String, _ uplink: String = LabTopology.uplink, inbound: Gateway.Inbound = .established) throws -> Gateway {
        try Gateway(subnet: IPNetwork(subnet), uplink: InterfaceName(uplink), inbound: inbound)
    }

    /// Connects from `namespace` to the outside responder.
    static func connect(_ namespace: LabNamespace, _ responder: TCPResponder, timeout: Duration = .seconds(3)) throws -> TCPProbe.Outcome {
        try TCPProbe.connect(from: namespace, to: responder.address, port: responder.port, timeout: timeout)
    }

    /// A connection expected to fail waits less: nothing slow can turn it into a success.
    static let blocked: Duration = .seconds(1)
}
