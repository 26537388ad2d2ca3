// swift-tools-version:6.1
// natgate: a NAT policy engine for Linux network namespaces, on libiptc.
import PackageDescription

let package = Package(
    name: "natgate",
    // What builds where: NatgateModel, NatgatePolicy and NatgateTesting are Swift and Foundation only
    // (no C, no Glibc) and build on Linux and on macOS 13 or later, the minimum given here. Every other
    // target is Linux-only: NatgateKernel links libiptc, NatgateNFTables libnftnl and libmnl,
    // NatgateSysctl reads /proc/sys and the namespace's inode through Glibc, and Natgate and natgate
    // depend on them. On macOS, build the C-free products (`swift build --product NatgateTesting`).
    platforms: [.macOS(.v13)],
    products: [
        // C-free: the rule model and its iptables-save text form. Builds and tests anywhere.
        .library(name: "NatgateModel", targets: ["NatgateModel"]),
        // C-free: gateway policies and the compiler that turns them into rules.
        .library(name: "NatgatePolicy", targets: ["NatgatePolicy"]),
        // C-free: golden-rule assertions for other projects' CI.
        .library(name: "NatgateTesting", targets: ["NatgateTesting"]),
        // Linux: the libiptc backend.
        .library(name: "NatgateKernel", targets: ["NatgateKernel"]),
        // Linux, no C library of its own (Glibc only): the forwarding sysctls, recorded per namespace.
        .library(name: "NatgateSysctl", targets: ["NatgateSysctl"]),
        // Linux: reads the nf_tables ruleset over netlink and finds what blocks a gateway there.
        .library(name: "NatgateNFTables", targets: ["NatgateNFTables"]),
        // Linux: kernel ip sets over nfnetlink (create, add, delete, list, swap, rename, destroy).
        .library(name: "NatgateIPSet", targets: ["NatgateIPSet"]),
        // C-free: the façade's change engine (GatewayController over any RuleStore) and the
        // in-memory store. `Natgate` re-exports it with the kernel store.
        .library(name: "NatgateEngine", targets: ["NatgateEngine"]),
        // Linux: the façade embedding tools use.
        .library(name: "Natgate", targets: ["Natgate"]),
        // Linux: the lab (throwaway namespaces, a process runner, TCP probes) that `natgate demo`,
        // the tests and the benchmarks share. Not a dependency of any library above.
        .library(name: "NatgateLab", targets: ["NatgateLab"]),
        .executable(name: "natgate", targets: ["natgate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `swift package generate-documentation`: the DocC catalogs under Sources/*/Documentation.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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
        .target(name: "NatgateSysctl", dependencies: ["NatgateModel"]),
        .systemLibrary(name: "CNFTables", path: "Sources/CNFTables"),
        .target(name: "NatgateNFTables", dependencies: ["NatgateModel", "NatgateKernel", "CNFTables"]),
        .systemLibrary(name: "CIPSet", path: "Sources/CIPSet"),
        .target(name: "NatgateIPSet", dependencies: ["NatgateModel", "NatgateKernel", "CIPSet"]),
        .target(
            name: "NatgateEngine",
            dependencies: ["NatgateModel", "NatgatePolicy", "NatgateSysctl", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Natgate",
            dependencies: [
                "NatgateEngine", "NatgateModel", "NatgatePolicy", "NatgateKernel", "NatgateSysctl", "NatgateNFTables",
                "NatgateIPSet", .product(name: "Logging", package: "swift-log"),
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
        .testTarget(name: "NatgatePolicyTests", dependencies: ["NatgatePolicy", "NatgateTesting", "NatgateModel", "NatgateLab"]),
        .testTarget(name: "NatgateKernelTests", dependencies: ["NatgateKernel", "NatgateModel", "NatgateLab"]),
        .testTarget(name: "NatgateSysctlTests", dependencies: ["NatgateSysctl", "NatgateKernel", "NatgateLab"]),
        // The façade as a library, in process; suites that run the binary are in NatgateCLITests.
        .testTarget(
            name: "NatgateTests",
            dependencies: [
                "Natgate", "NatgateEngine", "NatgateKernel", "NatgatePolicy", "NatgateModel", "NatgateSysctl", "NatgateTesting",
                "NatgateLab", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "NatgateNFTablesTests", dependencies: ["NatgateNFTables", "NatgateKernel", "NatgateModel", "NatgateLab"]),
        // Every suite that runs the built `natgate` binary; the libraries only set up and read back.
        .testTarget(
            name: "NatgateCLITests",
            dependencies: [
                "Natgate", "NatgateEngine", "NatgatePolicy", "NatgateModel", "NatgateSysctl", "NatgateNFTables", "NatgateLab",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "NatgateIPSetTests", dependencies: ["NatgateIPSet", "NatgateKernel", "NatgateModel", "NatgateLab"]),
        // Every ```swift snippet of the README and the DocC articles, compiled, and the check that
        // they are the same text. Each file imports only what its snippet does; MemberImportVisibility
        // keeps one file's imports from lending members to another's.
        .testTarget(
            name: "NatgateDocsTests",
            dependencies: ["Natgate", "NatgateTesting", "NatgateLab", .product(name: "Logging", package: "swift-log")],
            exclude: ["GoldenRules/gateways.json", "GoldenRules/gateways.rules"],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
    ]
)
