// `natgate status` of N gateways once the tables are read: gateways read back from the rules,
// drift checked, the text printed (compact, and with every rule as `-v` prints it). The tables
// come from an in-memory store, so no kernel is touched; reading them from the kernel is measured
// by `Benchmarks/compare` (whole processes) and the Encode suite's readback.
import Benchmark
import BenchmarkSupport
import Logging
import NatgateEngine
import NatgateModel

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .natgate

    for count in Workload.sizes {
        Benchmark("status \(count)", configuration: .scaled(count)) { benchmark in
            let controller = Workload.statusController(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try controller.status(rules: false).text(verbose: false))
            }
        }

        Benchmark("status -v \(count)", configuration: .scaled(count)) { benchmark in
            let controller = Workload.statusController(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try controller.status().text(verbose: true))
            }
        }
    }
}

extension Workload {
    /// A controller over an in-memory store holding `tables(count)`, forwarding not managed.
    static func statusController(_ count: Int) -> GatewayController {
        let store = MemoryRuleStore([Ruleset(family: .ipv4, tables: tables(count))])
        return GatewayController(store: store, forwarding: nil, logger: Logger(label: "natgate-bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}
