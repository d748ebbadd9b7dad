import EventModel
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

    /// The `ids` key of the event `id` of `tenant`: the id (16 bytes, big-endian), then, for any
    /// tenant but the default, its name; so one tenant's ids never meet another's (neither a
    /// conflict nor a retry across tenants).
    @inline(__always)
    static func withIDKey<R>(_ id: EventID, tenant: Tenant, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard !tenant.isDefault else { return try withKey(id.high, id.low, body) }
        return try withUnsafeTemporaryAllocation(byteCount: 16 + Tenant.lengthMax, alignment: 8) { buffer in
            buffer.storeBytes(of: id.high.bigEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: id.low.bigEndian, toByteOffset: 8, as: UInt64.self)
            var count = 16
            for byte in tenant.name.utf8 {
                buffer[count] = byte
                count += 1
            }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Reads a big-endian integer at `offset` of a key.
    @inline(__always)
    static func integer(_ key: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
        UInt64(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
