import Benchmark

extension Benchmark.Configuration {
    /// What every natgate suite reports: wall clock, CPU time (user + system: on a busy machine the
    /// steadier of the two), allocations (malloc calls) and peak resident memory. Runs stop after
    /// 2 s or 100 samples, whichever comes first.
    public static var natgate: Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
            warmupIterations: 1,
            maxDuration: .seconds(2),
            maxIterations: 100
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
