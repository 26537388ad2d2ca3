// swift-tools-version:6.1
// natgate's package-benchmark suites: a package of their own, so that the main build and CI never
// compile package-benchmark. Run from this directory (see README.md, "Performance"):
//
//     swift package --scratch-path ../.build-bench benchmark
//
// The "MallocInterposer" trait alone: package-benchmark's default traits add "RuntimeInterposer",
// whose package (swift-runtime-interposer) is not needed to count allocations.
import PackageDescription

/// One executable target per suite, `<Name>/<Name>.swift`, run by package-benchmark's plugin.
func suite(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkSupport"] + dependencies,
        path: name,
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "natgate-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "natgate", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The workloads, free of package-benchmark (whose malloc interposer would skew profiles).
        .target(
            name: "Workloads",
            dependencies: [.product(name: "NatgateModel", package: "natgate"), .product(name: "NatgatePolicy", package: "natgate")],
            path: "Workloads"
        ),
        // The workloads and the configuration every suite shares.
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), "Workloads"],
            path: "BenchmarkSupport"
        ),
        suite("Compile", [.product(name: "NatgateModel", package: "natgate"), .product(name: "NatgatePolicy", package: "natgate")]),
        suite("SaveText", [.product(name: "NatgateModel", package: "natgate")]),
        suite("Parse", [
            .product(name: "NatgateKernel", package: "natgate"), .product(name: "NatgateModel", package: "natgate"),
            .product(name: "NatgatePolicy", package: "natgate"),
        ]),
        suite("Status", [
            .product(name: "NatgateEngine", package: "natgate"), .product(name: "NatgateModel", package: "natgate"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        suite("Encode", [
            .product(name: "NatgateKernel", package: "natgate"), .product(name: "NatgateModel", package: "natgate"),
            .product(name: "NatgatePolicy", package: "natgate"), .product(name: "Natgate", package: "natgate"),
        ]),
        // Needs root: each sample runs in a network namespace of its own (see Commit/Commit.swift).
        suite("Commit", [
            .product(name: "Natgate", package: "natgate"), .product(name: "NatgateKernel", package: "natgate"),
            .product(name: "NatgatePolicy", package: "natgate"), .product(name: "NatgateLab", package: "natgate"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Not a suite: one workload in a loop, for valgrind --tool=callgrind and perf.
        .executableTarget(
            name: "Profile",
            dependencies: [
                "Workloads", .product(name: "NatgateKernel", package: "natgate"),
                .product(name: "NatgateModel", package: "natgate"), .product(name: "NatgatePolicy", package: "natgate"),
            ],
            path: "Profile"
        ),
    ]
)
