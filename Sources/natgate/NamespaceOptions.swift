import ArgumentParser
import Foundation
import Natgate
import NatgateKernel
import NatgateModel

/// `--netns NAME`: the network namespace a verb works in. Every verb that touches the kernel
/// takes it through `@OptionGroup var namespace: NamespaceOptions`.
struct NamespaceOptions: ParsableArguments {
    @Option(name: .customLong("netns"), help: ArgumentHelp(
        "Work inside the network namespace NAME (as `ip netns exec NAME` would); the rest of the host is not touched.",
        valueName: "NAME"))
    var name: String?

    @Option(name: .customLong("backend"), help: ArgumentHelp(
        "Where natgate's chains live: legacy (x_tables, iptables-legacy), nft (iptables-nft's tables in nf_tables) or auto: the one that holds natgate's chains, else nft when nf_tables has a forward or postrouting base chain and legacy holds no rule, else legacy. Default: $NATGATE_BACKEND, else auto.",
        valueName: "auto|legacy|nft"))
    var backend: String?

    /// The backend `save` and `restore` work on in `namespace`; a failure to tell (not root, both
    /// backends holding natgate's chains) is printed as `natgate COMMAND: …` with its status.
    func resolvedBackend(in namespace: NetworkNamespace, command: String) throws -> Backend {
        let choice = try backendChoice()
        do { return try choice.resolveForTables(in: namespace) } catch {
            FileHandle.standardError.write(Data("natgate \(command): \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }

    /// `--backend`, else `NATGATE_BACKEND`, else auto; a bad value is bad input (status 2).
    func backendChoice() throws -> BackendChoice {
        do { return try BackendChoice.from(flag: backend, environment: ProcessInfo.processInfo.environment) } catch {
            FileHandle.standardError.write(Data("natgate: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The namespace to run in: the named one, or the current one without `--netns`; an invalid
    /// name is bad input (status 2).
    func namespace() throws -> NetworkNamespace {
        do { return try NetworkNamespace.named(name) } catch {
            FileHandle.standardError.write(Data("natgate: --netns: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// `-4` / `-6`: which family a verb works on.
struct FamilyOptions: ParsableArguments {
    @Flag(name: .customShort("6"), help: "Work on the IPv6 tables (ip6tables) instead of the IPv4 ones.")
    var ipv6 = false

    var family: Family { ipv6 ? .ipv6 : .ipv4 }
}

extension KernelError {
    /// The exit status of `save`, `restore` and `debug-entries` for this error: 3 when the system
    /// refused (not root, no legacy x_tables, the lock, the namespace), as for the gateway verbs;
    /// 1 when natgate or the kernel refused the rules themselves.
    var exitStatus: Int32 {
        switch kind {
        case .permissionDenied, .noLegacyTables, .lockTimeout, .lockFailed, .namespace, .system: 3
        case .invalidNamespaceName: 2
        default: 1
        }
    }
}
