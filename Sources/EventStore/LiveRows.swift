import EventModel

/// A live keyed view's rows in the writer: the changes of the batch being written, over the
/// committed changes since the last checkpoint (and those of a checkpoint being written), over
/// the rows in storage as of the last checkpoint.
///
/// The writer alone changes them. It reads them without a lock (nobody else writes), and
/// changes the committed layers only with its object's lock held exclusively; readers look at
/// the committed layers with the lock shared, never at the batch's changes, so they never see
/// what is not durable.
final class LiveRows<Row: Codable & Sendable>: RowStorage, @unchecked Sendable {
    /// The changes of the batch being written.
    private(set) var batch: [ByteKey: RowSlot<Row>] = [:]
    /// Committed changes: since the last checkpoint began first, then those of the checkpoint
    /// being written (at most one).
    private(set) var committed: [[ByteKey: RowSlot<Row>]] = [[:]]
    /// The rows in storage as of the last checkpoint.
    private(set) var stored: StoredRowStorage<Row>

    init(stored: StoredRowStorage<Row>, changes: [ByteKey: RowSlot<Row>] = [:]) {
        self.stored = stored
        committed = [changes]
    }

    func row(_ key: String) -> Row? {
        let byteKey = ByteKey(key)
        if let slot = batch[byteKey] { return slot.row }
        return committedRow(byteKey, key)
    }

    func setRow(_ key: String, _ row: Row?, seq: Seq) { batch[ByteKey(key)] = RowSlot(row: row, seq: seq) }

    func modifyRow(_ key: String, seq: Seq, _ body: (inout Row?) -> Void) {
        let byteKey = ByteKey(key)
        // Taken out of the batch, a row changed earlier in it is changed in place.
        var row = batch.removeValue(forKey: byteKey).map { $0.row } ?? committedRow(byteKey, key)
        body(&row)
        batch[byteKey] = RowSlot(row: row, seq: seq)
    }

    private func committedRow(_ byteKey: ByteKey, _ key: String) -> Row? {
        for layer in committed {
            if let slot = layer[byteKey] { return slot.row }
        }
        return stored.row(key)
    }

    func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? {
        RowLayers.neighbour(of: key, within: prefix, after: after, layers: [batch] + committed) { stored.neighbour(of: $0, within: prefix, after: after) }
    }

    /// Rows changed since the last checkpoint began (committed).
    var changedCount: Int { committed[0].count }
    /// Rows held in memory in all.
    var heldCount: Int { committed.reduce(batch.count) { $0 + $1.count } }
    /// Whether a checkpoint's changes are being written.
    var hasFrozen: Bool { committed.count > 1 }

    /// Makes the batch's changes committed. Call with the object's lock held exclusively.
    func commitBatch() {
        guard !batch.isEmpty else { return }
        if committed[0].isEmpty {
            committed[0] = batch
        } else {
            committed[0].merge(batch) { _, new in new }
        }
        batch = [:]
    }

    /// Forgets the batch's changes (its transaction failed).
    func discardBatch() { batch = [:] }

    /// Starts a checkpoint: the committed changes become the frozen layer (returned), and new
    /// changes gather in a fresh one. Call with the lock held exclusively, between batches.
    func freeze() -> [ByteKey: RowSlot<Row>] {
        precondition(batch.isEmpty && committed.count == 1, "one checkpoint at a time, between batches")
        let frozen = committed[0]
        committed.insert([:], at: 0)
        return frozen
    }

    /// The frozen changes, stored now as of the checkpoint `stored` reads. Call with the lock
    /// held exclusively.
    func checkpointStored(_ stored: StoredRowStorage<Row>) {
        if committed.count > 1 { committed.removeLast() }
        self.stored = stored
    }

    /// The committed changes `query` matches, newest first per key, in key order. Call with the
    /// lock held (shared).
    func committedMatches(_ query: RowQuery) -> [(key: ByteKey, slot: RowSlot<Row>)] {
        RowLayers.matches(query, in: committed)
    }

    /// The committed change to `key`, if any. Call with the lock held (shared).
    func committedSlot(_ key: String) -> RowSlot<Row>? { RowLayers.slot(ByteKey(key), in: committed) }
}
