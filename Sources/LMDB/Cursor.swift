import CLMDB

/// A position in one database of a transaction, moved by key order.
///
/// It exists only inside ``ReadableTransaction/withCursor(_:_:)``. Every move returns the entry
/// it lands on, or `nil` when there is none; entries are borrowed (see ``Entry``).
public struct Cursor {
    let handle: OpaquePointer

    @inline(__always)
    private mutating func move(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws(LMDBError) -> Entry? {
        var keyValue = key.map(mdbValue) ?? MDB_val()
        var data = MDB_val()
        let code = mdb_cursor_get(handle, &keyValue, &data, operation)
        if code == MDB_NOTFOUND { return nil }
        try check(code)
        return Entry(key: bufferPointer(keyValue), value: bufferPointer(data))
    }

    /// The first entry of the database.
    public mutating func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
    /// The last entry of the database.
    public mutating func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
    /// The entry after the current one.
    @inline(__always)
    public mutating func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
    /// The entry before the current one.
    public mutating func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }
    /// The first entry whose key is greater than or equal to `key` (`MDB_SET_RANGE`).
    public mutating func seek(atLeast key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_RANGE, key: key)
    }
    /// The entry whose key is exactly `key` (`MDB_SET_KEY`).
    public mutating func seek(exactly key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_KEY, key: key)
    }
    /// The last entry whose key is less than or equal to `key`.
    public mutating func seek(atMost key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        guard let found = try seek(atLeast: key) else { return try last() }
        if found.key.elementsEqual(key) { return found }
        return try previous()
    }
}
