/// Fixed-width LMDB keys. Integers are big-endian so LMDB's byte order is numeric order, and
/// the keys live on the stack, so building one never allocates.
enum StoreKeys {
    /// An 8-byte key: a position (`log`) or a stream number (`streams`).
    @inline(__always)
    static func withKey<R>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var bigEndian = value.bigEndian
        return try withUnsafeBytes(of: &bigEndian, body)
    }

    /// A 16-byte key: (stream, seq) in `seqs`, or an event id in `ids`.
    @inline(__always)
    static func withKey<R>(_ first: UInt64, _ second: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var pair = (first.bigEndian, second.bigEndian)
        return try withUnsafeBytes(of: &pair, body)
    }

    /// Reads a big-endian integer at `offset` of a key.
    @inline(__always)
    static func integer(_ key: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
        UInt64(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
