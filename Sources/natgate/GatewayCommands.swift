import ArgumentParser
import Foundation
import Logging
import Natgate
import NatgateModel
import NatgatePolicy

// The gateway verbs: enable, disable, status, plan, apply, flush.
//
// Exit status, for every verb here:
//   0  done (or nothing to do: enable twice, disable of an absent gateway)
//   1  `status --check` found drift or an interrupted change
//   2  bad input: subnet, interface, option, policy file, or gateways that conflict; nothing changed
//   3  the kernel or the system refused (not root, no legacy x_tables, lock timeout, sysctl); the
//      change was undone
//   4  `status --check` found no drift, but an nftables chain drops, rejects or re-NATs a gateway
//  64  the command line itself could not be parsed (unknown option, missing argument)
//
// With --json, a failure is one line of JSON on standard error (its last line: -v logs come before
// it), `ErrorOutput`: {"schemaVersion":1,"version":…,"error":{"message":…,"exitCode":2,"meaning":"bad input"}}.
//
// NATGATE_STATE_DIRECTORY overrides where forwarding records and the record of a change in progress
// are kept (default /run/natgate).

/// SUBNET UPLINK and the gateway options, as `enable` and `plan enable` take them.
struct GatewayArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("The namespace subnet with its prefix length, such as 10.200.1.0/24 or fd00:200:1::/64 (no host bits, no leading zeros).", valueName: "SUBNET"))
    var subnet: String

    @Argument(help: ArgumentHelp("The interface traffic leaves by, such as eth0 (wlan+ matches every wlan interface).", valueName: "UPLINK"))
    var uplink: String

    @Option(help: ArgumentHelp("The namespace-side interface (the host end of the veth pair); matched too.", valueName: "IFACE"))
    var via: String?

    @Option(help: ArgumentHelp("Inbound traffic forwarded to the subnet: 'established' (replies and port forwards set up on this host; other new connections from UPLINK are dropped; the default) or 'all'.", valueName: "MODE"))
    var inbound: String = "established"

    @Option(help: ArgumentHelp("A destination the subnet reaches without NAT (repeatable), such as 10.0.0.0/8.", valueName: "NET"))
    var exclude: [String] = []

    @Option(name: .customLong("snat-to"), help: ArgumentHelp("SNAT to this address (same family as SUBNET) instead of MASQUERADE.", valueName: "ADDR"))
    var snatTo: String?

    @Option(help: ArgumentHelp("Source ports NAT may use, for TCP and UDP (other protocols are NATed without a range).", valueName: "LOW-HIGH"))
    var ports: String?

    @Flag(name: .customLong("random-fully"), help: "Pick NAT source ports fully at random (--random-fully).")
    var randomFully = false

    /// The gateway, validated; errors name the argument.
    func gateway() throws -> Gateway {
        guard let mode = Gateway.Inbound(rawValue: inbound) else {
            throw NatgateError(.invalidInput, "--inbound \(ModelError.quote(inbound)) is not a mode: use 'established' or 'all'.")
        }
        return try Gateway(
            subnet: Gateway.subnet(subnet), uplink: InterfaceName(uplink), via: via.map { try InterfaceName($0) }, inbound: mode,
            exclude: exclude.map { try Gateway.excludedNetwork($0) }, snatTo: snatTo.map { try Gateway.address($0) },
            ports: ports.map { try PortRange($0, separator: "-") }, randomFully: randomFully)
    }
}

/// SUBNET UPLINK, as `disable` takes them.
struct GatewayKeyArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("The gateway's subnet, as given to enable.", valueName: "SUBNET"))
    var subnet: String

    @Argument(help: ArgumentHelp("The gateway's uplink, as given to enable.", valueName: "UPLINK"))
    var uplink: String

    func key() throws -> Gateway.Key { Gateway.Key(subnet: try Gateway.subnet(subnet), uplink: try InterfaceName(uplink)) }
}

/// Options every gateway verb shares.
struct GatewayCommonOptions: ParsableArguments {
    @OptionGroup var namespace: NamespaceOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log each step to standard error.")
    var verbose = false

    @Option(name: [.short, .long], help: ArgumentHelp("Wait at most this many seconds for the xtables lock another program holds (default 10).", valueName: "SECONDS"))
    var wait: Double = 10
}

struct SysctlOptions: ParsableArguments {
    @Flag(name: .customLong("no-sysctl"), help: "Leave IP forwarding alone (by default natgate turns it on while gateways exist and puts it back after).")
    var noSysctl = false
}

/// Runs a gateway verb: builds the controller, prints errors as one line, exits with the
/// documented status.
func runGatewayVerb(_ options: GatewayCommonOptions, sysctl: Bool = true, _ body: (GatewayController) throws -> Int32) throws {
    var logger = Logger(label: "natgate", factory: { label in StreamLogHandler.standardError(label: label) })
    logger.logLevel = options.verbose ? .debug : .warning
    let status: Int32
    do {
        let backend = try BackendChoice.from(flag: options.namespace.backend, environment: ProcessInfo.processInfo.environment)
        let controller = try GatewayController.kernel(
            namespace: options.namespace.name, backend: backend, manageForwarding: sysctl, lockWait: .milliseconds(Int64(max(0, options.wait) * 1000)), logger: logger)
        status = try body(controller)
    } catch {
        let wrapped = NatgateError(wrapping: error)
        printError(wrapped.message, exitCode: wrapped.exitCode, json: options.json)
        throw ExitCode(wrapped.exitCode)
    }
    if status != 0 { throw ExitCode(status) }
}

/// Prints a value as `--json` outputs are printed: indented, keys sorted.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
}

/// Tells standard error why the command fails: `natgate: MESSAGE`, or with `--json` an
/// `ErrorOutput` on one line.
func printError(_ message: String, exitCode: Int32, json: Bool) {
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(ErrorOutput(message: message, exitCode: exitCode)) {
            FileHandle.standardError.write(data + Data("\n".utf8))
            return
        }
    }
    FileHandle.standardError.write(Data("natgate: \(message)\n".utf8))
}

func printReport(_ report: GatewayController.Report, json: Bool) throws {
    if json { return try printJSON(report) }
    print(report.message)
    for note in report.forwarding { print("forwarding: \(note)") }
    // A few gateways' lines help; tens of thousands drown the output (and take longer to render
    // than the change took to make).
    if report.gatewayChanges.total > reportLineLimit {
        print("Rules not listed for \(report.gatewayChanges.total) changed gateways (\(report.gatewayChanges)): `natgate plan` shows them before a change, `--json` after.")
    } else if !report.plan.isEmpty {
        print(report.plan, terminator: "")
    }
    // What in nf_tables blocks or takes over the gateways just made (nothing when nothing does).
    if let nftables = report.nftables, nftables.unreadable != nil || !nftables.findings.isEmpty {
        print(nftables.description, terminator: "")
    }
}

/// Above this many gateways changed, `enable`/`apply`/… print a count instead of the lines.
let reportLineLimit = 20

/// Reads a policy file, `-` for standard input.
func readPolicy(_ path: String) throws -> GatewaySet {
    let data: Data
    do { data = try InputFile(path).data } catch { throw NatgateError(.invalidInput, "policy file: \(error)") }
    return try PolicyFile.decode(data, name: path == "-" ? "standard input" : ModelError.quote(path, mark: "")).gatewaySet()
}

struct EnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Give SUBNET access to the outside through UPLINK (forward both ways, NAT on the way out).",
        discussion: """
            Adds natgate's rules (in chains NATGATE-FORWARD and NATGATE-POSTROUTING), each with the whole gateway in its \
            comment, and turns IP forwarding on; touches no other rule. Drift in natgate's chains is repaired and reported; \
            rules that do not determine their gateway are left as they are, with a note to apply the policy. Running it again \
            changes nothing. Exit status: 0 done, 2 bad input, 3 kernel error.
            """)

    @OptionGroup var gateway: GatewayArguments
    @OptionGroup var sysctl: SysctlOptions
    @OptionGroup var options: GatewayCommonOptions

    func run() throws {
        try runGatewayVerb(options, sysctl: !sysctl.noSysctl) { controller in
            try printReport(try controller.enable(try gateway.gateway()), json: options.json)
            return 0
        }
    }
}

struct DisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Remove the gateway of SUBNET through UPLINK.",
        discussion: """
            Removes its rules; when it was the last gateway, also natgate's chains and jumps, and puts forwarding back \
            as natgate found it. Disabling a gateway that is not enabled says so and exits 0.
            """)

    @OptionGroup var gateway: GatewayKeyArguments
    @OptionGroup var sysctl: SysctlOptions
    @OptionGroup var options: GatewayCommonOptions

    func run() throws {
        try runGatewayVerb(options, sysctl: !sysctl.noSysctl) { controller in
            try printReport(try controller.disable(try gateway.key()), json: options.json)
            return 0
        }
    }
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the gateways exactly those of a JSON policy file (- for standard input).",
        discussion: """
            Gateways not in the file are disabled, and rules in natgate's chains that determine no gateway (status shows them \
            as drift) are replaced. Applying the same file twice changes nothing. See the README for the schema.
            """)

    @Argument(help: ArgumentHelp("The policy file.", valueName: "FILE"))
    var file: String

    @OptionGroup var sysctl: SysctlOptions
    @OptionGroup var options: GatewayCommonOptions

    func run() throws {
        try runGatewayVerb(options, sysctl: !sysctl.noSysctl) { controller in
            try printReport(try controller.apply(try readPolicy(file)), json: options.json)
            return 0
        }
    }
}

struct FlushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush",
        abstract: "Remove every chain, rule and jump natgate owns, and put forwarding back.")

    @OptionGroup var sysctl: SysctlOptions
    @OptionGroup var options: GatewayCommonOptions

    func run() throws {
        try runGatewayVerb(options, sysctl: !sysctl.noSysctl) { controller in
            try printReport(try controller.flush(), json: options.json)
            return 0
        }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the gateways and their NAT counters, forwarding, drift and nftables blockers; -v adds their rules.",
        discussion: "With --check, exit 1 when the kernel's rules drifted from what natgate's gateways compile to or a change was interrupted, 4 when neither but an nftables chain drops, rejects or re-NATs a gateway's traffic.")

    @Flag(help: "Exit 1 when there is drift (a missing or duplicated jump, a changed owned chain) or an interrupted change, 4 when an nftables chain blocks or takes over a gateway.")
    var check = false

    @OptionGroup var options: GatewayCommonOptions

    func run() throws {
        try runGatewayVerb(options) { controller in
            // The compact text prints no rules: they are rendered only for -v and --json.
            let status = try controller.status(rules: options.verbose || options.json)
            if options.json { try printJSON(status) } else { print(status.text(verbose: options.verbose), terminator: "") }
            guard check else { return 0 }
            return status.hasDrift || status.interruptedChange != nil ? 1 : status.blockedByNFTables ? 4 : 0
        }
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the iptables-save lines a change would add (+) and remove (-), changing nothing.",
        subcommands: [Enable.self, Disable.self, Apply.self, Flush.self])

    static func show(_ plan: Plan, json: Bool) throws {
        if json { return try printJSON(plan) }
        if plan.isEmpty { print("No changes.") } else { print(plan, terminator: "") }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What `natgate enable` would change.")
        @OptionGroup var gateway: GatewayArguments
        @OptionGroup var options: GatewayCommonOptions
        func run() throws {
            try runGatewayVerb(options, sysctl: false) { controller in
                try PlanCommand.show(try controller.plan(.enable(try gateway.gateway())), json: options.json)
                return 0
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What `natgate disable` would change.")
        @OptionGroup var gateway: GatewayKeyArguments
        @OptionGroup var options: GatewayCommonOptions
        func run() throws {
            try runGatewayVerb(options, sysctl: false) { controller in
                try PlanCommand.show(try controller.plan(.disable(try gateway.key())), json: options.json)
                return 0
            }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What `natgate apply FILE` would change.")
        @Argument(help: ArgumentHelp("The policy file.", valueName: "FILE"))
        var file: String
        @OptionGroup var options: GatewayCommonOptions
        func run() throws {
            try runGatewayVerb(options, sysctl: false) { controller in
                try PlanCommand.show(try controller.plan(.apply(try readPolicy(file))), json: options.json)
                return 0
            }
        }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What `natgate flush` would change.")
        @OptionGroup var options: GatewayCommonOptions
        func run() throws {
            try runGatewayVerb(options, sysctl: false) { controller in
                try PlanCommand.show(try controller.plan(.flush), json: options.json)
                return 0
            }
        }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the ip sets and iptables-save text a policy file compiles to on a host with no other rules.",
        discussion: """
            The sets come first, as `ipset save` prints them without the kernel's random parts \
            (`create NAME hash:net,iface family inet`, then sorted `add NAME MEMBER` lines). \
            Reads nothing from the kernel and needs no root: the golden text for a project's CI \
            (compare it with NatgateTesting's GoldenRules, or regenerate a golden file with it). \
            Exit status: 0 done, 2 bad policy file.
            """)

    @Argument(help: ArgumentHelp("The policy file (- for standard input).", valueName: "FILE"))
    var file: String

    @OptionGroup var family: FamilyOptions

    func run() throws {
        do {
            print(try GatewayCompiler(datapath: .ipSets).render(try readPolicy(file), family: family.family), terminator: "")
        } catch {
            let wrapped = NatgateError(wrapping: error)
            FileHandle.standardError.write(Data("natgate: \(wrapped.message)\n".utf8))
            throw ExitCode(wrapped.exitCode)
        }
    }
}
