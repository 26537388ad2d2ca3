// Rendering iptables-save text of N gateways' tables (4N rules, two tables); parsing it is the
// Parse suite's.
import Benchmark
import BenchmarkSupport
import NatgateModel

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .natgate

    for count in Workload.sizes {
        Benchmark("render \(count)", configuration: .scaled(count)) { benchmark in
            let ruleset = Ruleset(family: .ipv4, tables: Workload.tables(count))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(ruleset.saveText())
            }
        }
    }
}
