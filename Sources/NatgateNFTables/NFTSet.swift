/// An nf_tables set or map: named (`@allowed`) or anonymous (`{ established, related }` in a
/// rule), with its elements. Rules look keys up in it (`lookup`); a verdict map gives the verdict.
///
/// Equivalent to one set of `nft list sets`, with its elements.
public struct NFTSet: Hashable, Sendable {
    /// One element: a key, or (in an interval set) where a range starts or ends.
    public struct Element: Hashable, Sendable {
        /// The key, as the bytes the set compares.
        public var key: [UInt8]
        /// The end of a range given in one element (concatenated interval sets).
        public var keyEnd: [UInt8]?
        /// `NFT_SET_ELEM_*` flags; 1 (interval end): this key ends the range before it.
        public var flags: UInt32
        /// The verdict of a verdict map's element.
        public var verdict: NFTVerdict?

        /// An element of `key`, with what is given.
        public init(key: [UInt8], keyEnd: [UInt8]? = nil, flags: UInt32 = 0, verdict: NFTVerdict? = nil) {
            self.key = key
            self.keyEnd = keyEnd
            self.flags = flags
            self.verdict = verdict
        }

        /// Whether the element ends the range before it rather than starting one.
        public var isIntervalEnd: Bool { flags & 1 != 0 }
    }

    /// The family of the set's table.
    public var family: NFTFamily
    /// The set's table.
    public var table: String
    /// The set's name (`__set0` for an anonymous one).
    public var name: String
    /// `NFT_SET_*` flags: 1 anonymous, 2 constant, 4 interval, 8 map, 0x80 concatenation.
    public var flags: UInt32
    /// The length of a key, in bytes.
    public var keyLength: UInt32
    /// The set's elements.
    public var elements: [Element]

    /// A set of `elements`.
    public init(family: NFTFamily, table: String, name: String, flags: UInt32, keyLength: UInt32, elements: [Element] = []) {
        self.family = family
        self.table = table
        self.name = name
        self.flags = flags
        self.keyLength = keyLength
        self.elements = elements
    }

    /// Whether the set belongs to one rule (`NFT_SET_ANONYMOUS`).
    public var isAnonymous: Bool { flags & 0x1 != 0 }
    /// Whether its elements are ranges (`NFT_SET_INTERVAL`).
    public var isInterval: Bool { flags & 0x4 != 0 }
    /// Whether it maps keys to data (`NFT_SET_MAP`).
    public var isMap: Bool { flags & 0x8 != 0 }
    /// Whether its keys concatenate several fields (`NFT_SET_CONCAT`).
    public var isConcatenation: Bool { flags & 0x80 != 0 }
}
