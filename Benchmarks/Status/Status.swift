// `natgate status` of N gateways once the tables are read: gateways read back, drift checked, the
// text printed (compact, and with every rule as `-v` prints it). The tables (and sets) come from
// in-memory stores, so no kernel is touched; reading them from the kernel is measured by
// `Benchmarks/compare` (whole processes) and the Encode suite's readback.
//
// Two layouts: `status N` reads gateways with rules of their own (the per-gateway datapath, a
// store without ip sets); `status sets N` reads them as members of natgate's ip sets behind a few
// shape rules, as `natgate status` finds them in the kernel since #13: members merged into
// gateways, the sets compared with what the gateways need, each shape's rules shared.
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

        Benchmark("status sets \(count)", configuration: .scaled(count)) { benchmark in
            let controller = try Workload.statusSetsController(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try controller.status(rules: false).text(verbose: false))
            }
        }

        Benchmark("status -v sets \(count)", configuration: .scaled(count)) { benchmark in
            let controller = try Workload.statusSetsController(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try controller.status().text(verbose: true))
            }
        }
    }
}

extension Workload {
    static let logger = Logger(label: "natgate-bench", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A controller over an in-memory store holding `tables(count)`, forwarding not managed.
    static func statusController(_ count: Int) -> GatewayController {
        let store = MemoryRuleStore([Ruleset(family: .ipv4, tables: tables(count))])
        return GatewayController(store: store, forwarding: nil, logger: logger)
    }

    /// A controller over in-memory tables and ip sets into which `natgate apply` of
    /// `gatewaySet(count)` put the gateways (in sets by shape), forwarding not managed.
    static func statusSetsController(_ count: Int) throws -> GatewayController {
        let store = MemoryRuleStore([], ipSets: MemoryIPSetStore())
        let controller = GatewayController(store: store, forwarding: nil, logger: logger)
        _ = try controller.apply(gatewaySet(count))
        return controller
    }
}
