import EventModel
import LMDB

/// The order of a cross-object view's rows by sort key (``LogProjection/sortKey(of:)``), kept in
/// the `rows` database next to the rows as of the view's stored position, written with them:
/// `prefix(view + 0x01 "order") + sort key (8, BE, sign flipped) + escaped row key` → the row
/// key, UTF-8. (`prefix` is ``RowKeys/prefix(stream:view:version:)`` for stream 0; view names
/// are lowercase letters, digits and `-`, so these never meet a view's own rows.) Only rows with
/// a sort key are in it; a top-N read walks it from either end. A write places a row at its new
/// sort key with the row, before its checkpoint, and removes the place it left (found off the
/// writer, from the row as stored) after it: between the two, and for good after a crash
/// between them, the order may hold places a row has left (or, before the checkpoint, not
/// reached yet), so readers check each place against the row as of the stored position
/// (``AnyLogProjection/sortKey(ofRow:)``) and pass over the ones that disagree.
struct LogViewOrderIndex {
    let orderPrefix: [UInt8]
    let database: Database

    init(layout: StoreLayout, view: String, version: Int) {
        orderPrefix = RowKeys.prefix(stream: EventStore.logViewStream, view: view + "\u{1}order", version: version)
        database = layout.rows
    }

    /// `sortKey` as 8 bytes that sort as the numbers do.
    static func sortable(_ sortKey: Int64) -> [UInt8] {
        withUnsafeBytes(of: (UInt64(bitPattern: sortKey) ^ (1 << 63)).bigEndian) { Array($0) }
    }

    static func sortKey(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: StoreKeys.integer(bytes, at: 0) ^ (1 << 63))
    }

    /// Places `key` at `sortKey` in the order.
    func place(_ key: String, at sortKey: Int64, in transaction: WriteTransaction) throws {
        try entry(key, at: sortKey).withUnsafeBytes { entry in
            try Array(key.utf8).withUnsafeBytes { try transaction.put(database, key: entry, value: $0) }
        }
    }

    /// Removes `key`'s place at `sortKey`, if it has one there.
    func remove(_ key: String, at sortKey: Int64, in transaction: WriteTransaction) throws {
        try entry(key, at: sortKey).withUnsafeBytes { _ = try transaction.delete(database, key: $0) }
    }

    private func entry(_ key: String, at sortKey: Int64) -> [UInt8] {
        var entry = orderPrefix + Self.sortable(sortKey)
        RowKeys.appendEscaped(key, to: &entry)
        return entry
    }

    /// Walks the order from its start (or end, `descending`), past `after`, calling `body` with
    /// each row key and sort key until it returns false.
    func walk(
        descending: Bool, after: LogViewOrderCursor?, in transaction: some ReadableTransaction, _ body: (String, Int64) throws -> Bool
    ) throws {
        try transaction.withCursor(database) { cursor in
            var entry: Entry?
            if let after {
                var escaped: [UInt8] = []
                RowKeys.appendEscaped(after.key, to: &escaped)
                let start = orderPrefix + Self.sortable(after.sortKey) + escaped
                if descending {
                    entry = try start.withUnsafeBytes { try cursor.seek(atMost: $0) }
                } else {
                    entry = try start.withUnsafeBytes { try cursor.seek(atLeast: $0) }
                }
                if let found = entry, found.key.elementsEqual(start) { entry = descending ? try cursor.previous() : try cursor.next() }
            } else if descending {
                var end = orderPrefix
                end.append(contentsOf: [UInt8](repeating: 0xFF, count: 9))
                entry = try end.withUnsafeBytes { try cursor.seek(atMost: $0) }
            } else {
                entry = try orderPrefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            }
            while let current = entry, current.key.starts(with: orderPrefix), current.key.count >= orderPrefix.count + 8 {
                let sortKey = Self.sortKey(UnsafeRawBufferPointer(rebasing: current.key[orderPrefix.count...]))
                guard try body(String(decoding: current.value, as: UTF8.self), sortKey) else { return }
                entry = descending ? try cursor.previous() : try cursor.next()
            }
        }
    }
}

/// A cross-object view's rows in storage as of a position, for the rows kept in memory to read
/// below their changes; and the parts of other tenants, stored apart
/// (``AnyLogProjection/partName(_:_:)``), as of the same position.
struct LogViewRowSource: LogRowSource {
    let layout: StoreLayout
    /// The name the rows are stored under (the view's, or a part's).
    let name: String
    let version: Int
    let bound: Position
    let context: RowReadContext

    var rows: StoredRows { StoredRows(layout: layout, logView: name, version: version, bound: bound) }

    func storage<Row: Codable & Sendable>(of type: Row.Type) -> any RowStorage<Row> { StoredRowStorage<Row>(rows, context: context) }

    func part(_ tenant: Tenant) -> any LogRowSource {
        LogViewRowSource(layout: layout, name: AnyLogProjection.partName(name, tenant), version: version, bound: bound, context: context)
    }

    func summary(of tenant: Tenant) -> JSONValue? {
        guard let transaction = context.transaction else {
            if context.failure == nil { context.failure = EventStoreError.closed }
            return nil
        }
        do {
            guard
                let stored = try StoredView.read(
                    stream: EventStore.logViewStream, name: AnyLogProjection.partName(name, tenant), layout: layout, transaction: transaction),
                stored.version == version, stored.seq <= bound
            else { return nil }
            return stored.state
        } catch {
            if context.failure == nil { context.failure = error }
            return nil
        }
    }
}
