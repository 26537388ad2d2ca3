import Foundation

// The façade's ways in that throw `NatgateError` and nothing else, so that an embedder's
// `throws(NatgateError)` function can build gateways and policies as well as change them:
//
//     func connect() throws(NatgateError) {
//         let gateway = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0")
//         try GatewayController.kernel(namespace: "blue").enable(gateway)
//     }
//
// The lower modules keep their own error types (`ModelError`, `PolicyError`): NatgateModel and
// NatgatePolicy build without the engine, so they cannot throw its error. Each entry point here
// wraps theirs with `NatgateError(wrapping:)`, which keeps it as `underlying`.

extension NatgateError {
    /// Runs `body` and rethrows whatever it throws as a `NatgateError`, classified as
    /// `init(wrapping:)` does (the original error stays in `underlying`).
    ///
    /// The bridge for a lower-level call the façade has no typed entry point for:
    /// `try NatgateError.catching { try IPNetwork("10.0.0.0/8") }`.
    public static func catching<T>(_ body: () throws -> T) throws(NatgateError) -> T {
        do {
            return try body()
        } catch {
            throw NatgateError(wrapping: error)
        }
    }
}

/// A gateway from text, throwing the façade's error.
extension Gateway {
    /// A gateway from text, read as `natgate enable SUBNET UPLINK [options]` reads its arguments.
    ///
    /// - Parameters:
    ///   - subnet: the namespace subnet, `ADDRESS/LENGTH` (or a dotted mask) without host bits, such
    ///     as `10.200.1.0/24` or `fd00:200:1::/64`; IPv4 numbers without leading zeros.
    ///   - uplink: the interface traffic leaves by, at most 15 bytes (`eth0`, or `wlan+`).
    ///   - via: the host end of the namespace's veth pair, matched too when given.
    ///   - inbound: which packets from the uplink reach the subnet.
    ///   - exclude: destinations reached without source NAT, each read as `subnet` is.
    ///   - snatTo: an address of the uplink to SNAT to instead of MASQUERADE.
    ///   - ports: the NAT source ports, `PORT` or `LOW-HIGH` (1 to 65535).
    ///   - randomFully: whether NAT picks source ports fully at random (`--random-fully`).
    /// - Throws: `NatgateError` of kind `.invalidInput` naming the text that is wrong and what to
    ///   write instead; its `underlying` is the `ModelError` or `PolicyError` of the module that
    ///   refused it.
    public init(
        subnet: String, uplink: String, via: String? = nil, inbound: Inbound = .established, exclude: [String] = [],
        snatTo: String? = nil, ports: String? = nil, randomFully: Bool = false
    ) throws(NatgateError) {
        self = try NatgateError.catching {
            try Gateway(
                subnet: Gateway.subnet(subnet), uplink: InterfaceName(uplink), via: via.map { try InterfaceName($0) }, inbound: inbound,
                exclude: exclude.map { try Gateway.excludedNetwork($0) }, snatTo: snatTo.map { try Gateway.address($0) },
                ports: ports.map { try PortRange($0, separator: "-") }, randomFully: randomFully)
        }
    }
}

/// A gateway's key from text, throwing the façade's error.
extension Gateway.Key {
    /// The subnet and uplink of a gateway, from text, as `natgate disable SUBNET UPLINK` reads them.
    ///
    /// - Throws: `NatgateError` of kind `.invalidInput` naming the subnet or interface that is wrong.
    public init(subnet: String, uplink: String) throws(NatgateError) {
        self = try NatgateError.catching { Gateway.Key(subnet: try Gateway.subnet(subnet), uplink: try InterfaceName(uplink)) }
    }
}

/// A set of gateways from a list or a policy file, throwing the façade's error.
extension GatewaySet {
    /// `gateways`, checked against each other and sorted, as `init(_:)` makes them.
    ///
    /// - Throws: `NatgateError` of kind `.invalidInput` naming the two gateways that cannot coexist
    ///   (two configurations of one subnet, one subnet through two uplinks, overlapping subnets).
    public init(gateways: [Gateway]) throws(NatgateError) {
        self = try NatgateError.catching { try GatewaySet(gateways) }
    }

    /// The gateways of a JSON policy file's bytes (the file `natgate apply` takes; see
    /// `PolicyFile`), checked against each other.
    ///
    /// - Parameters:
    ///   - data: the file's bytes (strict JSON, UTF-8).
    ///   - name: the file's name, used in error messages.
    /// - Throws: `NatgateError` of kind `.invalidInput` naming the file, the key path (and, for
    ///   text that is not JSON, the line and column) and what to fix, or the conflicting gateways.
    public init(policyFile data: Data, name: String = "policy") throws(NatgateError) {
        self = try NatgateError.catching { try PolicyFile.decode(data, name: name).gatewaySet() }
    }
}
