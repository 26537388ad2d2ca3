// README "As a library" and the DocC article "Embedding natgate", verbatim (SnippetTests checks it).
// This file imports only `Natgate`: that it compiles is the proof that one import is enough.
import Natgate

/// Gives the namespace `blue` access to the outside through eth0, and says what changed.
func connectBlue() throws(NatgateError) {
    let natgate = try GatewayController.kernel(namespace: "blue")
    let gateway = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0", via: "v-eth1")
    print(try natgate.plan(.enable(gateway)))   // the lines it would add
    let report = try natgate.enable(gateway)     // one atomic commit per table
    print(report.message)                        // "Enabled gateway 10.200.1.0/24 eth0 --via v-eth1."
    print(try natgate.status())
}
