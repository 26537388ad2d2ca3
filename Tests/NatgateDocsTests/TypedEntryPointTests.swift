// The façade's typed ways in: everything an embedder's `throws(NatgateError)` code calls, from text to
// a committed change, throws `NatgateError`, and the lower module's error stays reachable. Imports
// `Natgate` alone (and Foundation, for `Data`), like an embedding tool.
import Foundation
import Natgate
import Testing

@Suite struct TypedEntryPointTests {
    /// A controller over tables in memory: the whole change engine, no kernel.
    static func memoryController() -> GatewayController {
        GatewayController(store: MemoryRuleStore())
    }

    /// Runs `body`, which may throw only `NatgateError`, and returns what it threw. (A closure is
    /// inferred to throw `any Error` unless it says otherwise: each call site spells
    /// `() throws(NatgateError) in`, which is what proves the calls in it throw nothing else.)
    static func error(_ body: () throws(NatgateError) -> Void) -> NatgateError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func aSubnetWithoutPrefixLengthIsInvalidInputNamingIt() throws {
        let error = try #require(Self.error { () throws(NatgateError) in _ = try Gateway(subnet: "10.200.1.0", uplink: "eth0") })
        #expect(error.kind == .invalidInput)
        #expect(error.exitCode == 2)
        #expect(error.message.contains("did you mean 10.200.1.0/24?"))
        #expect(error.underlying is ModelError)
    }

    @Test func anUplinkNameTooLongForTheKernelIsInvalidInput() throws {
        let error = try #require(Self.error { () throws(NatgateError) in _ = try Gateway(subnet: "10.200.1.0/24", uplink: "an-interface-name-too-long") })
        #expect(error.kind == .invalidInput)
        #expect(error.message.contains("an-interface-name-too-long"))
        #expect(error.underlying is ModelError)
    }

    @Test func aGatewayThatContradictsItselfKeepsThePolicyErrorAsUnderlying() throws {
        let error = try #require(Self.error { () throws(NatgateError) in _ = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0", via: "eth0") })
        #expect(error.kind == .invalidInput)
        let policy = try #require(error.underlying as? PolicyError)
        #expect(policy.kind == .invalidGateway)
    }

    @Test func gatewayFromTextIsTheGatewayFromModelValues() throws {
        let fromText = try Gateway(
            subnet: "10.200.2.0/24", uplink: "eth0", via: "v-eth2", inbound: .all, exclude: ["10.0.0.0/8", "192.168.0.0/16"],
            snatTo: "198.51.100.2", ports: "1024-65535", randomFully: true)
        let fromValues = try Gateway(
            subnet: IPNetwork("10.200.2.0/24"), uplink: InterfaceName("eth0"), via: InterfaceName("v-eth2"), inbound: .all,
            exclude: [IPNetwork("192.168.0.0/16"), IPNetwork("10.0.0.0/8")], snatTo: IPAddress("198.51.100.2"),
            ports: PortRange(lower: 1024, upper: 65535), randomFully: true)
        #expect(fromText == fromValues)
    }

    @Test func portsWithPortZeroAreRefused() throws {
        let error = try #require(Self.error { () throws(NatgateError) in _ = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0", ports: "0-100") })
        #expect(error.kind == .invalidInput)
        #expect(error.message.contains("port 0"))
    }

    @Test func aKeyFromTextIsTheGatewaysKey() throws {
        let gateway = try Gateway(subnet: "fd00:200:1::/64", uplink: "eth0")
        #expect(try Gateway.Key(subnet: "fd00:200:1::/64", uplink: "eth0") == gateway.key)
        let error = try #require(Self.error { () throws(NatgateError) in _ = try Gateway.Key(subnet: "fd00:200:1::", uplink: "eth0") })
        #expect(error.kind == .invalidInput)
    }

    @Test func overlappingGatewaysAreAConflictNamingBoth() throws {
        let wide = try Gateway(subnet: "10.200.0.0/16", uplink: "eth0")
        let narrow = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0")
        let error = try #require(Self.error { () throws(NatgateError) in _ = try GatewaySet(gateways: [wide, narrow]) })
        #expect(error.kind == .invalidInput)
        #expect((error.underlying as? PolicyError)?.kind == .conflict)
        #expect(error.message.contains("10.200.0.0/16") && error.message.contains("10.200.1.0/24"))
    }

    @Test func aPolicyFileIsReadIntoACheckedSet() throws {
        let text = #"{"version": 1, "gateways": [{"subnet": "10.200.2.0/24", "uplink": "eth0"}, {"subnet": "10.200.1.0/24", "uplink": "eth0"}]}"#
        let set = try GatewaySet(policyFile: Data(text.utf8))
        #expect(set.gateways.map(\.subnet.description) == ["10.200.1.0/24", "10.200.2.0/24"])
    }

    @Test func aPolicyFileThatIsNotJSONNamesTheFileAndLine() throws {
        let text = "{\"version\": 1,\n \"gateways\": [,]}"
        let error = try #require(Self.error { () throws(NatgateError) in _ = try GatewaySet(policyFile: Data(text.utf8), name: "p.json") })
        #expect(error.kind == .invalidInput)
        #expect(error.message.hasPrefix("p.json:2:"))
    }

    @Test func anInvalidNamespaceNameIsInvalidInput() throws {
        let error = try #require(Self.error { () throws(NatgateError) in _ = try GatewayController.kernel(namespace: "a/b") })
        #expect(error.kind == .invalidInput)
        #expect(error.message.contains("a/b"))
    }

    @Test func catchingKeepsANatgateErrorAndWrapsOthers() throws {
        let original = NatgateError(.system, "the lock is held")
        let kept = try #require(Self.error { () throws(NatgateError) in _ = try NatgateError.catching { () throws -> Int in throw original } })
        #expect(kept.kind == NatgateError.Kind.system)
        #expect(kept.message == original.message)
        #expect(kept.underlying == nil)
        let wrapped = try #require(Self.error { () throws(NatgateError) in _ = try NatgateError.catching { try IPNetwork("10.0.0.0/33") } })
        #expect(wrapped.kind == .invalidInput)
        #expect(wrapped.underlying is ModelError)
    }

    /// The common job from text to a committed change and back, in a function that may throw only
    /// `NatgateError`: it compiles, and does what the README says.
    @Test func theCommonJobRunsUnderOneErrorType() throws {
        func connect(_ natgate: GatewayController) throws(NatgateError) -> (GatewayController.Report, Plan, Status, GatewayController.Report) {
            let gateway = try Gateway(subnet: "10.200.1.0/24", uplink: "eth0", via: "v-eth1")
            let plan = try natgate.plan(.enable(gateway))
            let enabled = try natgate.enable(gateway)
            let status = try natgate.status()
            let disabled = try natgate.disable(try Gateway.Key(subnet: "10.200.1.0/24", uplink: "eth0"))
            return (enabled, plan, status, disabled)
        }
        let (enabled, plan, status, disabled) = try connect(Self.memoryController())
        #expect(enabled.outcome == .changed)
        #expect(enabled.message == "Enabled gateway 10.200.1.0/24 eth0 --via v-eth1.")
        #expect(plan.tables.flatMap(\.added).contains { $0.contains("-s 10.200.1.0/24 -o eth0") && $0.hasSuffix("-j MASQUERADE") })
        #expect(status.families.first { $0.family == .ipv4 }?.gateways.map(\.gateway.subnet.description) == ["10.200.1.0/24"])
        #expect(disabled.outcome == .changed)
        #expect(disabled.gateways.isEmpty)
    }
}
