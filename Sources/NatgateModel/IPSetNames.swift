/// How a set match's name becomes the index the kernel stores, and back.
///
/// The kernel keeps, in each network namespace, a list of ip sets; an x_tables `set` match holds
/// a set's position in that list (`ip_set_id_t`), not its name. Whoever writes or reads rules for
/// a namespace gives the codecs a resolver for that namespace through `ExtensionContext.ipSets`.
/// The model itself knows only names.
public protocol IPSetResolving: Sendable {
    /// The index of set `name`, checked to hold addresses of `family`; throws an error naming the
    /// set when it does not exist or holds the other family.
    func index(ofSet name: String, family: Family) throws -> UInt16
    /// The name of the set at `index`; throws when no set is there.
    func name(ofSetIndex index: UInt16) throws -> String
}

/// A resolver carried in an `ExtensionContext`.
///
/// Contexts compare equal whatever resolver they carry: the resolver says where names are looked
/// up, not what a rule means.
public struct IPSetNames: Hashable, Sendable {
    /// Where set names are looked up.
    public let resolver: any IPSetResolving

    /// Names looked up through `resolver`.
    public init(_ resolver: any IPSetResolving) { self.resolver = resolver }

    public static func == (lhs: IPSetNames, rhs: IPSetNames) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
