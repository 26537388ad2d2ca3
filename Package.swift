// swift-tools-version:6.1
// natgate: a NAT policy engine for Linux network namespaces, on libiptc.
import PackageDescription

let package = Package(
    name: "natgate",
    platforms: [.macOS(.v13)],
    products: [
        // C-free: the rule model and its iptables-save text form. Builds and tests anywhere.
        .library(name: "NatgateModel", targets: ["NatgateModel"]),
        // C-free: gateway policies and the compiler that turns them into rules.
        .library(name: "NatgatePolicy", targets: ["NatgatePolicy"]),
        // C-free: golden-rule assertions for other projects' CI.
        .library(name: "NatgateTesting", targets: ["NatgateTesting"]),
        // Linux: the libiptc backend, sysctls and the façade embedding tools use.
        .library(name: "NatgateKernel", targets: ["NatgateKernel"]),
        .library(name: "NatgateSysctl", targets: ["NatgateSysctl"]),
        // Linux: reads the nf_tables ruleset over netlink and finds what blocks a gateway there.
        .library(name: "NatgateNFTables", targets: ["NatgateNFTables"]),
        .library(name: "Natgate", targets: ["Natgate"]),
        // Linux: the lab (throwaway namespaces, a process runner, TCP probes) that `natgate demo`,
        // the tests and the benchmarks share. Not a dependency of any library above.
        .library(name: "NatgateLab", targets: ["NatgateLab"]),
        .executable(name: "natgate", targets: ["natgate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "NatgateModel"),
        .target(name: "NatgatePolicy", dependencies: ["NatgateModel"]),
        .target(name: "NatgateTesting", dependencies: ["NatgateModel", "NatgatePolicy"]),
        .systemLibrary(name: "CIPTC", path: "Sources/CIPTC"),
        .target(
            name: "NatgateKernel",
            dependencies: ["NatgateModel", "CIPTC", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "NatgateSysctl", dependencies: ["NatgateKernel"]),
        .systemLibrary(name: "CNFTables", path: "Sources/CNFTables"),
        .target(name: "NatgateNFTables", dependencies: ["NatgateModel", "CNFTables"]),
        .target(
            name: "Natgate",
            dependencies: [
                "NatgateModel", "NatgatePolicy", "NatgateKernel", "NatgateSysctl", "NatgateNFTables",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CNatgateLab", path: "Sources/CNatgateLab"),
        .target(name: "NatgateLab", dependencies: ["NatgateKernel", "CNatgateLab"]),
        .executableTarget(
            name: "natgate",
            dependencies: [
                "Natgate", "NatgateModel", "NatgatePolicy", "NatgateKernel", "NatgateSysctl", "NatgateLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "NatgateModelTests", dependencies: ["NatgateModel", "NatgateLab"]),
        .testTarget(name: "NatgatePolicyTests", dependencies: ["NatgatePolicy", "NatgateTesting", "NatgateModel"]),
        .testTarget(name: "NatgateKernelTests", dependencies: ["NatgateKernel", "NatgateModel", "NatgateLab"]),
        .testTarget(name: "NatgateSysctlTests", dependencies: ["NatgateSysctl", "NatgateKernel", "NatgateLab"]),
        .testTarget(name: "NatgateTests", dependencies: ["Natgate", "NatgateKernel", "NatgatePolicy", "NatgateModel", "NatgateTesting", "NatgateLab"]),
        .testTarget(name: "NatgateNFTablesTests", dependencies: ["NatgateNFTables", "NatgateKernel", "NatgateModel", "NatgateLab"]),
        .testTarget(name: "NatgateCLITests", dependencies: ["NatgateModel", "NatgateKernel", "NatgateLab"]),
    ]
)
