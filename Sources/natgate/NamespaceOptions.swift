import ArgumentParser
import NatgateKernel
import NatgateModel

/// `--netns NAME`: the network namespace a verb works in. Every verb that touches the kernel
/// takes it through `@OptionGroup var namespace: NamespaceOptions`.
struct NamespaceOptions: ParsableArguments {
    @Option(name: .customLong("netns"), help: ArgumentHelp(
        "Work inside the network namespace NAME (as `ip netns exec NAME` would); the rest of the host is not touched.",
        valueName: "NAME"))
    var name: String?

    /// The namespace to run in: the named one, or the current one without `--netns`.
    func namespace() throws -> NetworkNamespace {
        do { return try NetworkNamespace.named(name) } catch { throw ValidationError(error.description) }
    }
}

/// `-4` / `-6`: which family a verb works on.
struct FamilyOptions: ParsableArguments {
    @Flag(name: .customShort("6"), help: "Work on the IPv6 tables (ip6tables) instead of the IPv4 ones.")
    var ipv6 = false

    var family: Family { ipv6 ? .ipv6 : .ipv4 }
}
