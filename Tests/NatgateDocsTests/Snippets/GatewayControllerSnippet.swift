// GatewayController's doc comment, verbatim.
import Natgate

func enableBlue() throws(NatgateError) -> GatewayController.Report {
    let natgate = try GatewayController.kernel(namespace: "blue")
    let gateway = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0")
    print(try natgate.plan(.enable(gateway)))
    return try natgate.enable(gateway)
}
