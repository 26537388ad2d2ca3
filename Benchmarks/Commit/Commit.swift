// The full commit, through the façade `natgate apply` and `natgate enable` use: applying N
// gateways to an empty namespace, and adding one more to N. Each sample runs in a network
// namespace it creates (`ip netns add natgate-bench-<pid>-<n>`) and deletes again, also when it
// throws; `Benchmarks/run` deletes any left by a crash and runs everything under `unshare --net`.
// Needs root; without it (or without `ip`/`iptables-legacy`) the suite registers nothing.
import Benchmark
import BenchmarkSupport
import Logging
import Natgate
import NatgateKernel
import NatgatePolicy
import NatgateLab

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .natgate
    guard ThrowawayNamespace.isSupported else {
        print("Commit: skipped, \(ThrowawayNamespace.unsupportedReason ?? "")")
        return
    }
    let logger = Logger(label: "natgate.bench", factory: { _ in SwiftLogNoOpLogHandler() })

    func controller(_ scratch: ThrowawayNamespace) throws -> GatewayController {
        // Forwarding is left alone: the comparison's other tools do not set it either.
        try GatewayController.kernel(namespace: scratch.name, manageForwarding: false, logger: logger)
    }

    for count in Workload.sizes {
        var configuration = Benchmark.Configuration.natgate
        configuration.maxIterations = count >= 10_000 ? 10 : 30

        Benchmark("apply \(count)", configuration: configuration) { benchmark in
            let set = Workload.gatewaySet(count)
            let scratch = try ThrowawayNamespace(prefix: "natgate-bench")
            defer { scratch.remove() }
            let natgate = try controller(scratch)
            benchmark.startMeasurement()
            blackHole(try natgate.apply(set))
            benchmark.stopMeasurement()
        }

        Benchmark("add one to \(count)", configuration: configuration) { benchmark in
            let scratch = try ThrowawayNamespace(prefix: "natgate-bench")
            defer { scratch.remove() }
            let natgate = try controller(scratch)
            try natgate.apply(Workload.gatewaySet(count))
            let added = Workload.gateway(count)
            benchmark.startMeasurement()
            blackHole(try natgate.enable(added))
            benchmark.stopMeasurement()
        }
    }
}
