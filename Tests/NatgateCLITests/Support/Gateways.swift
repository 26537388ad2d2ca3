import NatgateModel
import NatgatePolicy

func gateway(_ subnet: String, _ uplink: String, via: String? = nil, snatTo: String? = nil) throws -> Gateway {
    try Gateway(subnet: IPNetwork(subnet), uplink: InterfaceName(uplink), via: via.map { try InterfaceName($0) }, snatTo: snatTo.map { try IPAddress($0) })
}

/// `10.200.1.0/24 eth0 --via v-eth1 --inbound all`: the gateway whose options a filter-only
/// reading loses.
func wideGateway() throws -> Gateway {
    try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("v-eth1"), inbound: .all)
}

/// The comment of a rule's comment match.
func commentOf(_ rule: Rule) -> String? {
    rule.matches.lazy.compactMap { $0.as(CommentMatch.self)?.comment }.first
}

/// The tables of iptables-save text, by name.
func tables(_ text: String, _ family: Family) throws -> [TableName: Table] {
    Dictionary(uniqueKeysWithValues: try Ruleset(saveText: text, family: family).tables.map { ($0.name, $0) })
}
