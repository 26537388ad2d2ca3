// Compiling gateway policies into rules: what `natgate apply` does before it touches the kernel.
import Benchmark
import BenchmarkSupport
import Foundation
import NatgateModel
import NatgatePolicy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .natgate

    for count in Workload.sizes {
        // Reading the policy file `natgate apply` is given (JSON to checked gateways, not yet a set).
        Benchmark("decode \(count)", configuration: .scaled(count)) { benchmark in
            let file = Workload.policyFile(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try PolicyFile.decode(file))
            }
        }

        // Checking N gateways against each other (duplicates, overlaps) and sorting them.
        Benchmark("GatewaySet \(count)", configuration: .scaled(count)) { benchmark in
            let gateways = Workload.gateways(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try GatewaySet(gateways))
            }
        }

        // The rules of both owned chains, filter (3N) and nat (N).
        Benchmark("compile \(count)", configuration: .scaled(count)) { benchmark in
            let set = Workload.gatewaySet(count)
            let compiler = GatewayCompiler()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(compiler.rules(for: set, family: .ipv4, table: .filter))
                blackHole(compiler.rules(for: set, family: .ipv4, table: .nat))
            }
        }

        // The same, installed into the tables the kernel holds (jumps, counters kept, order).
        Benchmark("install \(count)", configuration: .scaled(count)) { benchmark in
            let set = Workload.gatewaySet(count)
            let compiler = GatewayCompiler()
            let empty = OwnedChains.tables.map { Table.empty($0, family: .ipv4) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for table in empty {
                    var table = table
                    try compiler.install(set, into: &table)
                    blackHole(table)
                }
            }
        }
    }
}
