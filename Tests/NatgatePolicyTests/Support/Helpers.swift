import NatgateModel
@testable import NatgatePolicy

func gateway(
    _ subnet: String, _ uplink: String, via: String? = nil, inbound: Gateway.Inbound = .established,
    exclude: [String] = [], snatTo: String? = nil, ports: String? = nil, randomFully: Bool = false
) throws -> Gateway {
    try Gateway(
        subnet: IPNetwork(subnet), uplink: InterfaceName(uplink), via: via.map { try InterfaceName($0) },
        inbound: inbound, exclude: exclude.map { try IPNetwork($0) }, snatTo: snatTo.map { try IPAddress($0) },
        ports: ports.map { try PortRange($0, separator: "-") }, randomFully: randomFully)
}

/// The `-m` words of a rule, in order: `["comment", "conntrack"]`.
func matchNames(_ rule: Rule) -> [String] { rule.matches.map(\.name) }

/// The option words of a rule's target extension.
func targetWords(_ rule: Rule, family: Family = .ipv4) -> [String] {
    guard case .extension(let target) = rule.target else { return [] }
    return [target.name] + GatewayCompiler.words(of: target, family: family)
}

func comment(_ rule: Rule) -> String? {
    rule.matches.lazy.compactMap { $0.as(CommentMatch.self)?.comment }.first
}

/// A filter and a nat table shaped like a Docker host's, for install/remove tests.
func dockerLikeTables(family: Family = .ipv4) throws -> (filter: Table, nat: Table) {
    let docker = try ChainName("DOCKER")
    let user = try ChainName("DOCKER-USER")
    var filter = Table.empty(.filter, family: family)
    filter[chain: .forward]?.policy = .drop
    filter[chain: .forward]?.rules = [Rule(target: .jump(user)), Rule(outInterface: Negatable(try InterfaceName("docker0")), target: .jump(docker))]
    filter[chain: docker] = Chain(name: docker)
    filter[chain: user] = Chain(name: user, rules: [Rule(target: .return)])
    var nat = Table.empty(.nat, family: family)
    let dockerSubnet = family == .ipv4 ? "172.17.0.0/16" : "fd00:dead::/64"
    nat[chain: .postrouting]?.rules = [
        Rule(source: Negatable(try IPNetwork(dockerSubnet)), outInterface: .not(try InterfaceName("docker0")), target: .extension(Target(MasqueradeTarget())))
    ]
    nat[chain: docker] = Chain(name: docker, rules: [Rule(inInterface: Negatable(try InterfaceName("docker0")), target: .return)])
    return (filter.canonicallyOrdered, nat.canonicallyOrdered)
}
