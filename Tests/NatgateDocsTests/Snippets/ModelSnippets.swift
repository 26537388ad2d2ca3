// Snippets without imports of their own (fragments of doc comments and the README), each inside a
// function that gives it the names it uses. Never called: the kernel ones would need a namespace.
import Logging
import NatgateKernel
import NatgateLab
import NatgateModel
import NatgatePolicy

// Gateway's doc comment.
func gatewayFromModelValues() throws -> Gateway {
    let gateway = try Gateway(subnet: IPNetwork("10.200.1.0/24"), uplink: InterfaceName("eth0"))
    return gateway
}

// README "Reading and writing the kernel".
func readAndUpdate(logger: Logger, rule: Rule) throws {
    let backend = KernelBackend(family: .ipv4, namespace: try .named("ns1"), logger: logger)
    print(try backend.read(.nat))                           // the kernel's table as a model value
    try backend.update(tables: [.filter, .nat]) { tables in // re-run on EAGAIN: derive, don't accumulate
        tables[.nat]![chain: .postrouting]!.rules.append(rule)
    }
}

// KernelBackend.update(tables:_:)'s doc comment.
func update(_ backend: KernelBackend, appending rule: Rule) throws {
    try backend.update(tables: [.filter, .nat]) { tables in
        tables[.nat]![chain: .postrouting]!.rules.append(rule)
    }
}

// ChildProcess's doc comment.
func saveNat() throws {
    let result = try ChildProcess.run(["iptables-legacy-save", "-t", "nat"])
    print(result.status, result.standardOutput)
}

// LeanRuleset's doc comment.
func printCanonically(_ text: String) throws {
    if let lean = try LeanRuleset(saveText: text, family: .ipv4) {
        print(String(decoding: lean.saveText(), as: UTF8.self), terminator: "")
    }
}
