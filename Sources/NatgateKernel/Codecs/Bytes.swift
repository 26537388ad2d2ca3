import NatgateModel

/// Builds a kernel struct byte by byte, in the layout C would give it on this machine
/// (x86_64: little-endian host order, natural alignment).
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// An 8-bit field (`__u8`).
    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    /// A host-order 16-bit field (`__u16`).
    public mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    /// A network-order 16-bit field (`__be16`, such as NAT ports).
    public mutating func be16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    /// A host-order 32-bit field (`__u32`).
    public mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    /// A network-order 32-bit field (`__be32`, such as an IPv4 address).
    public mutating func be32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    /// A host-order 64-bit field (`__u64`, such as a counter).
    public mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    /// `value` as it is.
    public mutating func raw(_ value: [UInt8]) { bytes += value }
    /// `count` zero bytes (padding, or an unused field).
    public mutating func zeros(_ count: Int) { bytes += repeatElement(0, count: count) }
    /// Zero bytes up to the next multiple of `alignment`.
    public mutating func align(to alignment: Int) {
        let rest = bytes.count % alignment
        if rest != 0 { zeros(alignment - rest) }
    }
    /// A `char[size]` field: the UTF-8 text, NUL-padded; the caller has checked it fits with its NUL.
    public mutating func cString(_ text: String, size: Int) {
        let utf8 = Array(text.utf8.prefix(size - 1))
        bytes += utf8
        zeros(size - utf8.count)
    }
}

/// Reads a kernel struct the kernel returned, field by field, with bounds checks that throw
/// instead of trapping.
public struct ByteReader: Sendable {
    /// The bytes being read.
    public let bytes: [UInt8]
    /// Where the next field starts, in bytes from the start.
    public private(set) var offset: Int = 0

    /// A reader at the start of `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// A read past the end: the payload is shorter than its struct.
    public struct OutOfBounds: Error, CustomStringConvertible {
        /// The bytes the read needed, counted from the start.
        public var needed: Int
        /// The bytes there are.
        public var available: Int
        public var description: String { "kernel payload too short: needed \(needed) bytes, had \(available)" }
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard offset + count <= bytes.count else { throw OutOfBounds(needed: offset + count, available: bytes.count) }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// An 8-bit field.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func u8() throws -> UInt8 { try take(1).first! }
    /// A host-order 16-bit field.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func u16() throws -> UInt16 { try take(2).reversed().reduce(0) { $0 << 8 | UInt16($1) } }
    /// A network-order 16-bit field.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func be16() throws -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    /// A host-order 32-bit field.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func u32() throws -> UInt32 { try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    /// A network-order 32-bit field.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func be32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    /// A host-order 64-bit field.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func u64() throws -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
    /// The next `count` bytes as they are.
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func raw(_ count: Int) throws -> [UInt8] { Array(try take(count)) }
    /// Skips `count` bytes (padding, or a field natgate does not read).
    ///
    /// - Throws: `OutOfBounds` when the bytes end first.
    public mutating func skip(_ count: Int) throws { _ = try take(count) }
    /// Skips to the next multiple of `alignment` from the start.
    public mutating func align(to alignment: Int) throws {
        let rest = offset % alignment
        if rest != 0 { try skip(alignment - rest) }
    }
    /// A `char[size]` field: the text up to the first NUL.
    public mutating func cString(size: Int) throws -> String {
        let field = try take(size)
        let text = field.prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }
}
