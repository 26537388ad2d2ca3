import Logging
import NatgateKernel
import NatgateModel
import NatgateNFTables
import NatgatePolicy
import NatgateSysctl

/// Where natgate keeps its chains in a network namespace.
public enum Backend: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// The legacy x_tables tables, through libiptc (`iptables-legacy` shows them).
    case legacy
    /// iptables-nft's tables in nf_tables (`ip`/`ip6` `filter` and `nat`; `iptables-nft` and
    /// `nft list ruleset` show them).
    case nft

    public var description: String { rawValue }
}

/// What the user asked for: a backend, or `auto` (see `resolve(in:)`).
public enum BackendChoice: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// The backend that holds natgate's chains; else nft when nf_tables has a base chain at the
    /// forward or postrouting hook and the legacy tables have none; else legacy.
    case auto
    /// The legacy x_tables, through libiptc, whatever the namespace holds.
    case legacy
    /// iptables-nft's tables in nf_tables, whatever the namespace holds.
    case nft

    /// The environment variable that chooses when `--backend` is not given.
    public static let environmentVariable = "NATGATE_BACKEND"

    /// Parses `auto`, `legacy` or `nft`; the error names the bad value and the valid ones.
    public init(_ text: String, source: String = "--backend") throws(NatgateError) {
        guard let choice = BackendChoice(rawValue: text) else {
            throw NatgateError(.invalidInput, "\(source): '\(text)' is not a backend: use auto, legacy or nft.")
        }
        self = choice
    }

    /// The choice `flag` makes, else `NATGATE_BACKEND` in `environment`, else `auto`.
    public static func from(flag: String?, environment: [String: String]) throws(NatgateError) -> BackendChoice {
        if let flag { return try BackendChoice(flag) }
        if let value = environment[environmentVariable], !value.isEmpty { return try BackendChoice(value, source: environmentVariable) }
        return .auto
    }

    public var description: String { rawValue }

    /// The backend for `save` and `restore` in `namespace`: `resolve(in:)` without the reason.
    public func resolveForTables(in namespace: NetworkNamespace) throws(NatgateError) -> Backend {
        try resolve(in: namespace).backend
    }

    /// The backend this choice means in `namespace`, and why.
    ///
    /// `auto` takes the backend that already holds natgate's chains; else nft when the kernel has
    /// no legacy x_tables at all; else nft when the
    /// namespace's nf_tables has a base chain at the forward or postrouting hook (Docker, ufw or
    /// firewalld on an nftables host) and the legacy tables hold no rule; else legacy (a bare
    /// host keeps libiptc). When both hold natgate's chains it refuses (`.system`, exit 3), since
    /// either choice would leave the other's gateways working unseen.
    public func resolve(in namespace: NetworkNamespace) throws(NatgateError) -> (backend: Backend, reason: String) {
        switch self {
        case .legacy: return (.legacy, "asked for")
        case .nft: return (.nft, "asked for")
        case .auto: break
        }
        let found: BackendSurvey
        do { found = try namespace.run { try BackendSurvey.take() } } catch { throw NatgateError(wrapping: error) }
        switch (found.legacyChains.isEmpty, found.nftChains.isEmpty) {
        case (false, false):
            throw NatgateError(.system,
                "natgate's chains are in both backends: legacy x_tables (\(found.legacyChains.joined(separator: ", "))) and nf_tables (\(found.nftChains.joined(separator: ", "))). natgate will not guess which gateways are meant. Keep one: run `natgate --backend legacy flush` or `natgate --backend nft flush` to remove the other, then `natgate apply` on the one you keep.")
        case (false, true):
            return (.legacy, "auto: natgate's chains are in the legacy tables (\(found.legacyChains.joined(separator: ", ")))")
        case (true, false):
            return (.nft, "auto: natgate's chains are in nf_tables (\(found.nftChains.joined(separator: ", ")))")
        case (true, true):
            if !found.legacyAvailable, found.nftAvailable {
                return (.nft, "auto: this kernel has no legacy x_tables (CONFIG_NETFILTER_XTABLES_LEGACY), only nf_tables")
            }
            if let chain = found.nftBaseChains.first, found.legacyRules == 0 {
                return (.nft, "auto: nf_tables has a base chain at the forward or postrouting hook (\(chain)) and the legacy tables hold no rule")
            }
            if found.nftBaseChains.isEmpty {
                return (.legacy, "auto: no natgate chains anywhere and no nf_tables base chain at forward or postrouting; legacy is the default")
            }
            return (.legacy, "auto: no natgate chains anywhere; the legacy tables hold \(found.legacyRules) rules besides nf_tables' base chains (\(found.nftBaseChains.joined(separator: ", "))), so natgate stays with legacy")
        }
    }
}

/// What `auto` looks at, read on a thread in the namespace.
struct BackendSurvey {
    /// `ipv4 filter NATGATE-FORWARD`, … in the legacy tables.
    var legacyChains: [String] = []
    /// `ip filter NATGATE-FORWARD`, … in nf_tables.
    var nftChains: [String] = []
    /// `inet firewalld filter_FORWARD (forward)`, …: base chains at forward or postrouting.
    var nftBaseChains: [String] = []
    /// How many rules the legacy filter and nat tables hold, both families.
    var legacyRules = 0
    /// Whether the kernel has legacy x_tables for IPv4 (`/proc/net/ip_tables_names` exists).
    var legacyAvailable = true
    /// Whether the kernel has nf_tables.
    var nftAvailable = true

    static func take() throws -> BackendSurvey {
        var survey = BackendSurvey()
        let owned = Set(OwnedChains.tables.compactMap { OwnedChains.owned(in: $0)?.rawValue })
        for family in Family.allCases {
            // Only tables that exist are read (reading one through libiptc would create it).
            guard let names = try LegacyTables.tablesInUse(family) else {
                if family == .ipv4 { survey.legacyAvailable = false }
                continue
            }
            for table in OwnedChains.tables where names.contains(table.rawValue) {
                let summary = try LegacyTables.chainSummary(family, table: table)
                survey.legacyRules += summary.rules
                survey.legacyChains += summary.chains.filter(owned.contains).map { "\(family) \(table) \($0)" }
            }
        }
        let ruleset: NFTRuleset
        switch Result(catching: { () throws(NFTError) in try NFTRuleset.read(family: nil, rulesOf: []) }) {
        case .success(let read): ruleset = read
        case .failure(let error):
            if error.kind == .noNFTables {
                survey.nftAvailable = false
                return survey
            }
            throw error
        }
        for chain in ruleset.chains {
            if (chain.family == .ip || chain.family == .ip6), ["filter", "nat"].contains(chain.table), owned.contains(chain.name) {
                survey.nftChains.append("\(chain.family) \(chain.table) \(chain.name)")
            }
            if let base = chain.base, base.hook == .forward || base.hook == .postrouting,
               ruleset.tables.contains(where: { $0.family == chain.family && $0.name == chain.table && !$0.isDormant }) {
                survey.nftBaseChains.append("\(chain.family) \(chain.table) \(chain.name)")
            }
        }
        return survey
    }
}

extension GatewayController {
    /// A controller for the kernel of the named network namespace (`/run/netns/NAME`, or the
    /// current one when `namespace` is nil), on the backend `backend` resolves to there (see
    /// `BackendChoice.resolve(in:)`); `status` says which and why.
    ///
    /// - Parameter namespace: the name of a namespace under /run/netns; nil for the current one.
    /// - Parameter backend: `auto`, or the backend to use whatever the namespace holds.
    /// - Parameter manageForwarding: false leaves IP forwarding alone (`--no-sysctl`).
    /// - Parameter lockWait: how long a legacy change waits for the xtables lock another program holds.
    /// - Parameter logger: where the controller and its store log.
    public static func kernel(
        namespace: String?, backend: BackendChoice, manageForwarding: Bool = true, lockWait: Duration = .seconds(10), logger: Logger
    ) throws(NatgateError) -> GatewayController {
        let resolved: NetworkNamespace
        do { resolved = try NetworkNamespace.named(namespace) } catch { throw NatgateError(wrapping: error) }
        let (chosen, reason) = try backend.resolve(in: resolved)
        logger.debug("backend \(chosen): \(reason)")
        var controller: GatewayController
        switch chosen {
        case .legacy:
            controller = try kernel(namespace: namespace, manageForwarding: manageForwarding, lockWait: lockWait, logger: logger)
        case .nft:
            controller = GatewayController(
                store: NFTablesRuleStore(namespace: resolved, logger: logger), forwarding: manageForwarding ? Forwarding() : nil, logger: logger)
        }
        controller.backend = BackendStatus(name: chosen.rawValue, reason: reason)
        // Commands natgate's messages suggest name the iptables of the backend.
        controller.compiler.iptablesVariant = chosen.rawValue
        return controller
    }
}

extension NFTError: BackendError {
    package var isInvalidInput: Bool { false }
    /// A batch is one transaction: whatever failed, nothing of it was written.
    package var leftPartOfAChange: Bool { false }
}
