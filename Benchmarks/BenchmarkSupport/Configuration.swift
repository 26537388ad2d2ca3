import Benchmark

extension Benchmark.Configuration {
    /// What every natgate suite reports: wall clock, CPU time (user + system: on a busy machine the
    /// steadier of the two), allocations (malloc calls) and peak resident memory. Runs stop after
    /// 2 s or 100 samples, whichever comes first.
    ///
    /// The thresholds say what `Benchmarks/run baseline check main` calls a regression against a
    /// baseline recorded before a change (`Benchmarks/run baseline update main`), on medians:
    /// allocations are nearly deterministic, so 5 % more is one; times must grow by a quarter and
    /// memory by a tenth. On a shared machine times move by up to 80 % between two runs of the same
    /// code (measured on the 2-core machine in the README), so there allocations are the signal.
    public static var natgate: Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
            warmupIterations: 1,
            maxDuration: .seconds(2),
            maxIterations: 100,
            thresholds: [
                .mallocCountTotal: .init(relative: [.p50: 5.0]),
                .wallClock: .init(relative: [.p50: 25.0]),
                .cpuTotal: .init(relative: [.p50: 25.0]),
                .peakMemoryResident: .init(relative: [.p50: 10.0]),
            ]
        )
    }

    /// `natgate`, with small workloads repeated inside one sample (`scaledIterations`) so that a
    /// sample of 1 or 100 gateways is long enough to time; results are reported per iteration.
    public static func scaled(_ count: Int) -> Benchmark.Configuration {
        var configuration = Benchmark.Configuration.natgate
        configuration.scalingFactor = count <= 100 ? .kilo : .one
        return configuration
    }
}
