/// `-j TCPMSS --set-mss N | --clamp-mss-to-pmtu`: rewrite the MSS option of TCP SYN packets.
/// Any table. The kernel requires `-p tcp` with a tcp match that tests SYN
/// (`-m tcp --tcp-flags SYN,RST SYN`), and takes `--clamp-mss-to-pmtu` only from FORWARD, OUTPUT
/// and POSTROUTING. If both options are given the last one wins, as in iptables.
///
/// Kernel, revision 0: `xt_tcpmss_info { u16 mss; }`, 0xffff for clamp-to-PMTU.
public struct TCPMSSTarget: TargetExtension {
    public static let name = "TCPMSS"
    public static let options = [
        ExtensionOption("--set-mss"),
        ExtensionOption("--clamp-mss-to-pmtu", arguments: 0),
    ]

    /// What to set the MSS to.
    public enum Setting: Hashable, Sendable {
        /// A fixed MSS: at most 65515 (IPv4) or 65495 (IPv6).
        case mss(UInt16)
        /// The path MTU less the IP and TCP headers.
        case clampToPMTU
    }

    /// The chains `--clamp-mss-to-pmtu` is allowed from.
    public static let clampChains: Set<ChainName> = [.forward, .output, .postrouting]

    /// The largest MSS `--set-mss` takes: 65535 less the IP header.
    public static func maximumMSS(for family: Family) -> UInt16 { family == .ipv4 ? 65535 - 20 : 65535 - 40 }

    /// Required.
    public var setting: Setting?

    public init() { setting = nil }

    /// A TCPMSS target with `setting`.
    public init(_ setting: Setting) { self.setting = setting }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        try option.refuseNegation(Self.name)
        switch option.name {
        case "--set-mss":
            if case .mss = setting { throw option.usedTwice(Self.name) }
            let maximum = TCPMSSTarget.maximumMSS(for: context.family)
            setting = .mss(UInt16(try option.unsignedArgument(in: 0...UInt64(maximum))))
        case "--clamp-mss-to-pmtu":
            setting = .clampToPMTU
        default:
            throw ModelError(.unknownOption, input: option.name, "TCPMSS has no option \(option.name): it takes --set-mss and --clamp-mss-to-pmtu.", at: option.location)
        }
    }

    public func validate(context: ExtensionContext) throws {
        guard let setting else {
            throw ModelError(.missingArgument, input: "TCPMSS", "TCPMSS needs --set-mss N or --clamp-mss-to-pmtu.")
        }
        if context.ipProtocol != .tcp {
            throw ModelError(.notAllowed, input: "TCPMSS", "TCPMSS needs the rule to match -p tcp -m tcp --tcp-flags SYN,RST SYN (the kernel refuses it otherwise).")
        }
        switch setting {
        case .mss(let mss) where mss > TCPMSSTarget.maximumMSS(for: context.family):
            throw ModelError(.invalidValue, input: "\(mss)", "--set-mss \(mss): write at most \(TCPMSSTarget.maximumMSS(for: context.family)).")
        case .clampToPMTU:
            if let chain = context.chain, let table = context.table, table.isBuiltin(chain), !TCPMSSTarget.clampChains.contains(chain) {
                throw ModelError(
                    .notAllowed, input: "--clamp-mss-to-pmtu",
                    "TCPMSS --clamp-mss-to-pmtu works only in FORWARD, OUTPUT and POSTROUTING, not \(chain): the kernel refuses it there.")
            }
        default: break
        }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        switch setting {
        case .mss(let mss): writer.option("--set-mss", "\(mss)")
        case .clampToPMTU: writer.word("--clamp-mss-to-pmtu")
        case nil: break
        }
    }
}
