import CLMDB

@inline(__always)
func mdbValue(_ bytes: UnsafeRawBufferPointer) -> MDB_val {
    MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
}

@inline(__always)
func bufferPointer(_ value: MDB_val) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
}

/// An open LMDB transaction, opaque outside this module.
public struct TransactionHandle {
    let pointer: OpaquePointer
}

/// What every transaction can do: point lookups, cursors and statistics.
public protocol ReadableTransaction {
    /// The transaction this value stands for.
    var transaction: TransactionHandle { get }
}

extension ReadableTransaction {
    /// The value stored under `key`, or `nil` when there is none.
    ///
    /// The returned bytes are borrowed from the map (see ``Entry``).
    /// - Throws: ``LMDBError`` for anything but a missing key.
    @inline(__always)
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        var keyValue = mdbValue(key)
        var data = MDB_val()
        let code = mdb_get(transaction.pointer, database.handle, &keyValue, &data)
        if code == MDB_NOTFOUND { return nil }
        try check(code)
        return bufferPointer(data)
    }

    /// Runs `body` with a cursor over `database`; the cursor is closed when `body` returns.
    /// - Throws: ``LMDBError`` if the cursor cannot be opened, or what `body` throws.
    @inline(__always)
    public func withCursor<R>(_ database: Database, _ body: (inout Cursor) throws -> R) throws -> R {
        var pointer: OpaquePointer?
        try check(mdb_cursor_open(transaction.pointer, database.handle, &pointer))
        var cursor = Cursor(handle: pointer!)
        defer { mdb_cursor_close(pointer) }
        return try body(&cursor)
    }

    /// The number of entries in `database`.
    public func count(_ database: Database) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(transaction.pointer, database.handle, &stat))
        return stat.ms_entries
    }
}

/// A read-only transaction: a consistent snapshot of every database.
///
/// It exists only inside ``Environment/read(_:)``; keep it short, since LMDB cannot reuse pages
/// that a live reader may still see.
public struct ReadTransaction: ReadableTransaction {
    public let transaction: TransactionHandle
}

/// A write transaction. It exists only inside ``Environment/write(_:)``, whose body cannot
/// `await`, so it begins and commits on one thread.
public struct WriteTransaction: ReadableTransaction {
    public let transaction: TransactionHandle
    var handle: OpaquePointer { transaction.pointer }

    /// Stores `value` under `key`.
    /// - Throws: ``LMDBError/mapFull`` when the map is full (the whole transaction must then be
    ///   abandoned), ``LMDBError/keyExists`` under `.noOverwrite` or an out-of-order `.append`.
    @inline(__always)
    public func put(_ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws(LMDBError) {
        var keyValue = mdbValue(key)
        var data = mdbValue(value)
        try check(mdb_put(handle, database.handle, &keyValue, &data, flags.rawValue))
    }

    /// Reserves `count` bytes for `key` and lets `body` fill them in place (`MDB_RESERVE`),
    /// which saves a copy of the value. `body` must write every byte.
    /// - Throws: as ``put(_:key:value:flags:)``, or what `body` throws.
    @inline(__always)
    public func reserve<R>(
        _ database: Database, key: UnsafeRawBufferPointer, count: Int, flags: PutFlags = [],
        _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) throws -> R {
        var keyValue = mdbValue(key)
        var data = MDB_val(mv_size: count, mv_data: nil)
        try check(mdb_put(handle, database.handle, &keyValue, &data, flags.rawValue | UInt32(MDB_RESERVE)))
        return try body(UnsafeMutableRawBufferPointer(start: data.mv_data, count: count))
    }

    /// Deletes `key`; returns false when it was not there.
    @discardableResult
    public func delete(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var keyValue = mdbValue(key)
        let code = mdb_del(handle, database.handle, &keyValue, nil)
        if code == MDB_NOTFOUND { return false }
        try check(code)
        return true
    }
}
