// Reading iptables-save text of N gateways (4N rules, two tables), as `natgate fmt` and
// `natgate restore` do before they touch anything: parse, parse and print canonically, parse and
// encode into kernel entries; each through the model and through the lean parse (`LeanRuleset`,
// what fmt and restore use since #10). No kernel is touched.
import Benchmark
import BenchmarkSupport
import NatgateKernel
import NatgateModel
import NatgatePolicy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .natgate

    for count in Workload.sizes {
        Benchmark("parse \(count)", configuration: .scaled(count)) { benchmark in
            let text = Workload.saveText(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try Ruleset(saveText: text, family: .ipv4))
            }
        }

        // `natgate fmt`: the text in, the canonical text out.
        Benchmark("fmt \(count)", configuration: .scaled(count)) { benchmark in
            let text = Workload.saveText(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try Ruleset(saveText: text, family: .ipv4).saveText())
            }
        }

        // `natgate fmt` since #10: the lean parse, printed from shapes.
        Benchmark("lean fmt \(count)", configuration: .scaled(count)) { benchmark in
            let text = Workload.saveText(count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try LeanRuleset(saveText: text, family: .ipv4)!.saveText())
            }
        }

        // `natgate restore` since #10: the lean parse, encoded from shapes' templates.
        Benchmark("lean parse+encode \(count)", configuration: .scaled(count)) { benchmark in
            let text = Workload.saveText(count)
            let backend = KernelBackend(family: .ipv4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try backend.entries(of: try LeanRuleset(saveText: text, family: .ipv4)!, counters: false))
            }
        }

        // What `natgate restore` prepared before #10: the text parsed, every rule encoded.
        Benchmark("parse+encode \(count)", configuration: .scaled(count)) { benchmark in
            let text = Workload.saveText(count)
            let backend = KernelBackend(family: .ipv4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let ruleset = try Ruleset(saveText: text, family: .ipv4)
                for table in ruleset.tables {
                    for chain in table.chains {
                        blackHole(try backend.entries(for: chain.rules, table: table.name, chain: chain.name))
                    }
                }
            }
        }
    }
}
