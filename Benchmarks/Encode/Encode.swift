// Encoding N gateways' rules into kernel entries (ipt_entry + matches + target), as `update`
// does before handing them to libiptc. No kernel is touched.
import Benchmark
import BenchmarkSupport
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
    }
}
