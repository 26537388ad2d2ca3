// One workload of the suites, run in a loop outside package-benchmark, for profilers:
//
//     swift build -c release --scratch-path ../.build-bench --product Profile
//     valgrind --tool=callgrind ../.build-bench/release/Profile compile 10000
//     perf record -g ../.build-bench/release/Profile parse 1000 10
//
// Usage: Profile WORKLOAD COUNT [ITERATIONS]; WORKLOAD is one of decode, gatewayset, compile,
// install, encode, render, parse. Prints the time per iteration.
import Workloads
import Foundation
import NatgateKernel
import NatgateModel
import NatgatePolicy

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 2, let count = Int(arguments[arguments.startIndex + 1]) else {
    FileHandle.standardError.write(Data("usage: Profile decode|gatewayset|compile|install|encode|render|parse COUNT [ITERATIONS]\n".utf8))
    exit(2)
}
let workload = arguments[arguments.startIndex]
let iterations = arguments.count > 2 ? Int(arguments[arguments.startIndex + 2]) ?? 1 : 1

var body: () throws -> Any
switch workload {
case "decode":
    let file = Workload.policyFile(count)
    body = { try PolicyFile.decode(file) }
case "gatewayset":
    let gateways = Workload.gateways(count)
    body = { try GatewaySet(gateways) }
case "compile":
    let set = Workload.gatewaySet(count)
    let compiler = GatewayCompiler()
    body = { (compiler.rules(for: set, family: .ipv4, table: .filter), compiler.rules(for: set, family: .ipv4, table: .nat)) }
case "install":
    let set = Workload.gatewaySet(count)
    let compiler = GatewayCompiler()
    body = {
        OwnedChains.tables.map { name in
            var table = Table.empty(name, family: .ipv4)
            try? compiler.install(set, into: &table)
            return table
        }
    }
case "encode":
    let tables = Workload.tables(count)
    let backend = KernelBackend(family: .ipv4)
    body = {
        try tables.map { table in
            let chain = OwnedChains.owned(in: table.name)!
            return try backend.entries(for: table.chain(named: chain)!.rules, table: table.name, chain: chain)
        }
    }
case "render":
    let ruleset = Ruleset(family: .ipv4, tables: Workload.tables(count))
    body = { ruleset.saveText() }
case "parse":
    let text = Workload.saveText(count)
    body = { try Ruleset(saveText: text, family: .ipv4) }
default:
    FileHandle.standardError.write(Data("unknown workload \(workload)\n".utf8))
    exit(2)
}

let clock = ContinuousClock()
let start = clock.now
for _ in 0..<iterations {
    withExtendedLifetime(try body()) {}
}
let elapsed = clock.now - start
print("\(workload) \(count): \(elapsed / iterations) per iteration (\(iterations) iterations)")
