// Encoding N gateways' rules into kernel entries (ipt_entry + matches + target), as `update`
// does before handing them to libiptc. No kernel is touched.
import Benchmark
import BenchmarkSupport
import Natgate
import NatgateKernel
import NatgateModel
import NatgatePolicy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .natgate

    for count in Workload.sizes {
        Benchmark("encode \(count)", configuration: .scaled(count)) { benchmark in
            let tables = Workload.tables(count)
            let backend = KernelBackend(family: .ipv4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for table in tables {
                    let chain = OwnedChains.owned(in: table.name)!
                    blackHole(try backend.entries(for: table.chain(named: chain)!.rules, table: table.name, chain: chain))
                }
            }
        }

        // What `natgate apply` computes before its first commit: compile and encode.
        Benchmark("compile+encode \(count)", configuration: .scaled(count)) { benchmark in
            let set = Workload.gatewaySet(count)
            let compiler = GatewayCompiler()
            let backend = KernelBackend(family: .ipv4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for table in OwnedChains.tables {
                    let chain = OwnedChains.owned(in: table)!
                    let rules = compiler.rules(for: set, family: .ipv4, table: table)
                    blackHole(try backend.entries(for: rules, table: table, chain: chain))
                }
            }
        }

        // The same entries from per-shape templates, as `apply` makes them now: one value kept
        // across iterations, as a long-lived process keeps its templates.
        Benchmark("gateway entries \(count)", configuration: .scaled(count)) { benchmark in
            let set = Workload.gatewaySet(count)
            var entries = GatewayEntries(family: .ipv4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for table in OwnedChains.tables {
                    blackHole(try entries.entries(for: set, table: table))
                }
            }
        }

        // Reading those entries back into gateways, as `apply` does before changing them.
        Benchmark("gateway readback \(count)", configuration: .scaled(count)) { benchmark in
            let set = Workload.gatewaySet(count)
            var entries = GatewayEntries(family: .ipv4)
            let filter = try entries.entries(for: set, table: .filter)
            let nat = try entries.entries(for: set, table: .nat)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(entries.gateways(filter: filter, nat: nat))
            }
        }
    }
}
