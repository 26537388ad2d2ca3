/// `-m pkttype [!] --pkt-type TYPE`: matches the link-layer packet type: unicast (to this host),
/// broadcast, multicast, or otherhost (to another host, seen in promiscuous mode).
///
/// Kernel: `xt_pkttype_info`, revision 0: the type as `int` (`PACKET_HOST` …) and an invert flag.
public struct PacketTypeMatch: MatchExtension {
    public static let name = "pkttype"
    public static let options = [ExtensionOption("--pkt-type", negatable: true)]

    /// A link-layer packet type, as the kernel numbers them (`linux/if_packet.h`).
    public struct PacketType: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// `PACKET_HOST`: to this host. iptables also reads `host`.
        public static let unicast = PacketType(rawValue: 0)
        /// `PACKET_BROADCAST`. iptables also reads `bcast`.
        public static let broadcast = PacketType(rawValue: 1)
        /// `PACKET_MULTICAST`. iptables also reads `mcast`.
        public static let multicast = PacketType(rawValue: 2)
        /// `PACKET_OTHERHOST`: to another host.
        public static let otherhost = PacketType(rawValue: 3)

        /// The names iptables reads, case-insensitively, aliases after the canonical names.
        static let names: [(String, PacketType)] = [
            ("unicast", .unicast), ("broadcast", .broadcast), ("multicast", .multicast), ("otherhost", .otherhost),
            ("bcast", .broadcast), ("mcast", .multicast), ("host", .unicast),
        ]

        /// Parses a packet type name as iptables does.
        public init(_ text: String) throws {
            let lower = text.lowercased()
            guard let found = PacketType.names.first(where: { $0.0 == lower }) else {
                throw ModelError(
                    .invalidValue, input: text,
                    "\(ModelError.quote(text)) is not a packet type: use unicast, broadcast, multicast or otherhost.")
            }
            self = found.1
        }

        /// The canonical name, or the number for a type iptables has no name for.
        public var description: String { PacketType.names.first { $0.1 == self }?.0 ?? String(rawValue) }
    }

    /// `--pkt-type`: the link-layer packet type.
    public var packetType: Negatable<PacketType>

    public init() { packetType = Negatable(.unicast) }

    /// `--pkt-type packetType`, negated or not.
    public init(_ packetType: PacketType, negated: Bool = false) {
        self.packetType = Negatable(packetType, negated: negated)
        hasType = true
    }

    // Whether a type was given (by parse or the initialiser); `-m pkttype` alone is an error.
    private var hasType = false
    public static func == (lhs: PacketTypeMatch, rhs: PacketTypeMatch) -> Bool { lhs.packetType == rhs.packetType }
    public func hash(into hasher: inout Hasher) { hasher.combine(packetType) }

    public mutating func parse(_ option: ParsedOption, context: ExtensionContext) throws {
        guard option.name == "--pkt-type" else {
            throw ModelError(.unknownOption, input: option.name, "pkttype has no option \(option.name); it takes --pkt-type TYPE.", at: option.location)
        }
        guard !hasType else { throw option.invalid("pkttype takes --pkt-type only once.") }
        do { packetType = Negatable(try PacketType(option.argument), negated: option.negated) } catch let error as ModelError {
            throw option.invalid(error.message)
        }
        hasType = true
    }

    public func validate(context: ExtensionContext) throws {
        guard hasType else { throw ModelError(.missingArgument, input: "-m pkttype", "pkttype needs --pkt-type TYPE (unicast, broadcast, multicast or otherhost).") }
    }

    public func save(to writer: inout SaveWriter, context: ExtensionContext) {
        writer.option("--pkt-type", packetType.value.description, negated: packetType.negated)
    }
}
