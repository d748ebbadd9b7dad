import EventModel
import LMDB

/// A view of a live object, typed, kept by the writer: what commands decide on and appends fold
/// into, without decoding or encoding anything per write.
///
/// Three states of it exist at once: the *working* one (the batch being written), the
/// *committed* one readers see (published once the batch is durable), and the *checkpoint* in
/// storage (the last snapshot, and the rows stored as of it). The committed state lives
/// behind the object's lock: the writer changes it only with the lock held exclusively, readers
/// read it (``committedSummary()``, ``committedRows(_:in:)``, ``committedRead(_:in:)``) with it
/// held shared.
protocol LiveViewBox: AnyObject, Sendable {
    /// The view.
    var view: AnyProjection { get }
    /// The seq of the working state.
    var seq: Seq { get }
    /// The seq of the last checkpoint (its snapshot); 0 for none.
    var markerSeq: Seq { get }
    /// What deciders, timer handlers and invariants read: the working state.
    var stateValue: any Sendable { get }
    /// Folds `events` (which follow ``seq``) into the working state.
    func fold(_ events: [RecordedEvent])
    /// The working summary as JSON.
    func workingSummaryJSON() throws -> [UInt8]
    /// Moves the working seq to `seq` with no event folded (none of the view's types).
    func skip(to seq: Seq)
    /// A copy of the working state to fold events into without changing it (a merge checks its
    /// invariants on one).
    func scratch() -> any ScratchView
    /// Publishes the working state (its batch is durable). Lock held exclusively.
    func commitBatch()
    /// Goes back to the committed state (its batch failed).
    func discardBatch()
    /// Rows changed since the last checkpoint started, and whether checkpoints are being
    /// written.
    var changes: (rows: Int, writing: Bool) { get }
    /// The seq of the last checkpoint started (stored or not); 0 for none.
    var frozenSeq: Seq { get }
    /// Starts a checkpoint of the committed state, even while earlier ones are written (they
    /// are stored in the order they start): nil when the last one started is current. Lock
    /// held exclusively, between batches.
    func freeze() -> FrozenView?
    /// The oldest checkpoint started, at `seq`, is stored; `stored` reads its rows. Lock held
    /// exclusively.
    func checkpointStored(at seq: Seq, stored: StoredRows, summaryBytes: Int, rowBytes: Int)
    /// The committed seq, and the committed summary to encode (after the lock is let go). Lock
    /// held (shared).
    func committedSummary() -> (seq: Seq, json: @Sendable () throws -> [UInt8])
    /// The committed rows `query` asks for, over those stored as of the checkpoint. Lock held
    /// (shared), `transaction` begun after it was taken.
    func committedRows(_ query: RowQuery, in transaction: ReadTransaction) throws -> (rows: [RowEntry], next: String?)
    /// The view's own read of `parameters` on the committed state. Lock held (shared).
    func committedRead(_ parameters: [String: String], in transaction: ReadTransaction) throws -> Result<JSONValue, Rejection>?
    /// The memory the view holds, estimated.
    var estimatedBytes: Int { get }
    /// Rows held in memory.
    var heldRows: Int { get }
    /// Lets go of the rows it holds that are stored already, unless a checkpoint is being
    /// written; whether it had any. Lock held exclusively, between batches.
    func dropStoredRows() -> Bool
}

/// A live view's state as it was when a checkpoint of it started: encoded off the writer.
struct FrozenView: Sendable {
    /// The view.
    let view: AnyProjection
    /// The seq it is at.
    let seq: Seq
    /// Its summary and changed rows, encoded.
    let encode: @Sendable () throws -> (summary: [UInt8], rows: [ChangedRow])
}

/// A state a merge folds its events into to check the invariants before anything is written.
protocol ScratchView: AnyObject {
    func fold(_ event: RecordedEvent)
    var stateValue: any Sendable { get }
    func check() throws
}

/// The typed live view.
final class LiveView<P: ViewProjection>: LiveViewBox, @unchecked Sendable {
    let view: AnyProjection
    let projection: P
    /// The rows changed since the last checkpoint (committed, and the batch's), over ``stored``.
    let rows: LiveRows<P.Row>
    /// The rows in storage as of the last checkpoint (lock).
    private(set) var stored: StoredRowStorage<P.Row>
    /// The working summary and seq (writer only).
    private(set) var summary: P.Summary
    private(set) var seq: Seq
    /// The committed summary and seq (lock).
    private var committed: (summary: P.Summary, seq: Seq)
    /// The seqs of the checkpoints started and not stored yet, oldest first (lock).
    private var frozen: [Seq] = []
    private(set) var markerSeq: Seq
    private let eventTypes: Set<String>?
    private var summaryBytes: Int
    private var rowBytes = 160

    init(
        view: AnyProjection, projection: P, summary: P.Summary, rows: LiveRows<P.Row>, stored: StoredRowStorage<P.Row>, seq: Seq, markerSeq: Seq,
        summaryBytes: Int
    ) {
        self.view = view
        self.projection = projection
        self.summary = summary
        self.rows = rows
        self.stored = stored
        self.seq = seq
        committed = (summary, seq)
        self.markerSeq = markerSeq
        eventTypes = projection.eventTypes.map(Set.init)
        self.summaryBytes = max(summaryBytes, 64)
    }

    var stateValue: any Sendable { projection.state(summary, RowReader(rows)) }

    func fold(_ events: [RecordedEvent]) {
        for event in events {
            if eventTypes?.contains(event.type) ?? true {
                projection.fold(&summary, Rows(rows, seq: event.seq), event)
            }
            seq = event.seq
        }
    }

    func skip(to seq: Seq) { self.seq = max(self.seq, seq) }

    func workingSummaryJSON() throws -> [UInt8] { try ViewCoding.summaryJSON(summary) }

    func scratch() -> any ScratchView { Scratch(projection: projection, summary: summary, rows: LayeredRows(below: rows), context: stored.context) }

    func commitBatch() {
        committed = (summary, seq)
        view.liveRows.commitBatch(rows)
    }

    func discardBatch() {
        (summary, seq) = committed
        rows.discardBatch()
    }

    var changes: (rows: Int, writing: Bool) { (rows.changedCount, !frozen.isEmpty) }

    var frozenSeq: Seq { frozen.last ?? markerSeq }

    func freeze() -> FrozenView? {
        guard committed.seq > frozenSeq else { return nil }
        frozen.append(committed.seq)
        guard let changed = view.liveRows.freeze(rows) as? [(key: ByteKey, slot: RowSlot<P.Row>)] else { preconditionFailure("rows of another type") }
        let summary = committed.summary
        return FrozenView(view: view, seq: committed.seq) {
            // Positions sorted, not the rows: moving a row costs its reference counts.
            let keys = changed.map(\.key)
            let order = keys.withUnsafeBufferPointer { keys in keys.indices.sorted { keys[$0].precedes(keys[$1]) } }
            let encoded = try order.map { index in
                let change = changed[index]
                return ChangedRow(key: change.key.string, json: try change.slot.row.map(ViewCoding.rowJSON), seq: change.slot.seq)
            }
            return (try ViewCoding.summaryJSON(summary), encoded)
        }
    }

    func checkpointStored(at seq: Seq, stored: StoredRows, summaryBytes: Int, rowBytes: Int) {
        guard frozen.first == seq else { return }
        frozen.removeFirst()
        markerSeq = seq
        self.stored = StoredRowStorage(stored, context: self.stored.context)
        view.liveRows.frozenStored(rows, self.stored)
        self.summaryBytes = max(summaryBytes, 64)
        if rowBytes > 0 { self.rowBytes = rowBytes }
    }

    func committedSummary() -> (seq: Seq, json: @Sendable () throws -> [UInt8]) {
        let summary = committed.summary
        return (committed.seq, { try ViewCoding.summaryJSON(summary) })
    }

    func committedRows(_ query: RowQuery, in transaction: ReadTransaction) throws -> (rows: [RowEntry], next: String?) {
        try RowPaging.rows(query, changes: rows.committedMatches(query), stored: stored.rows, encode: ViewCoding.rowJSON, in: transaction)
    }

    func committedRead(_ parameters: [String: String], in transaction: ReadTransaction) throws -> Result<JSONValue, Rejection>? {
        let context = RowReadContext(transaction)
        let reader = CommittedRows(rows: rows, stored: StoredRowStorage<P.Row>(stored.rows, context: context))
        let answer = projection.read(parameters, summary: committed.summary, rows: RowReader(reader))
        try context.check()
        return answer
    }

    var estimatedBytes: Int { 2 * summaryBytes + rows.heldCount * (2 * rowBytes + LiveConfiguration.rowOverheadBytes) }

    var heldRows: Int { rows.heldCount }

    func dropStoredRows() -> Bool {
        guard frozen.isEmpty, rows.storedCount > 0 else { return false }
        return view.liveRows.dropStored(rows) > 0
    }

    /// A merge's scratch copy: the working summary, and changes over the live rows.
    private final class Scratch: ScratchView {
        let projection: P
        var summary: P.Summary
        let rows: LayeredRows<P.Row>
        let context: RowReadContext
        let eventTypes: Set<String>?

        init(projection: P, summary: P.Summary, rows: LayeredRows<P.Row>, context: RowReadContext) {
            self.projection = projection
            self.summary = summary
            self.rows = rows
            self.context = context
            eventTypes = projection.eventTypes.map(Set.init)
        }

        func fold(_ event: RecordedEvent) {
            guard eventTypes?.contains(event.type) ?? true else { return }
            projection.fold(&summary, Rows(rows, seq: event.seq), event)
        }

        var stateValue: any Sendable { projection.state(summary, RowReader(rows)) }

        func check() throws { try context.check() }
    }
}

/// Rows as a reader sees a live view: the committed rows in memory over those stored as of the
/// checkpoint. Used with the object's lock held (shared). Neighbours among the committed rows
/// are found in a sorted list made once per prefix, so a read that walks many keys does not
/// scan the rows in memory at each step.
final class CommittedRows<Row: Codable & Sendable>: RowStorage, @unchecked Sendable {
    let rows: LiveRows<Row>
    let stored: StoredRowStorage<Row>
    private var sorted: [String: [(key: ByteKey, slot: RowSlot<Row>)]] = [:]

    init(rows: LiveRows<Row>, stored: StoredRowStorage<Row>) {
        self.rows = rows
        self.stored = stored
    }

    func row(_ key: String) -> Row? {
        if let slot = rows.committedRow(key) { return slot.row }
        return stored.row(key)
    }

    func setRow(_ key: String, _ row: Row?, seq: Seq) { preconditionFailure("a reader does not write rows") }

    func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? {
        let changes = sorted[prefix] ?? rows.committedMatches(RowQuery(.prefix(prefix), limit: .max))
        sorted[prefix] = changes
        let origin = ByteKey(key)
        // The nearest committed change past `key` that leaves a row.
        var nearest: (key: ByteKey, row: Row)?
        if after {
            var index = changes.partitionIndex { origin.precedes($0.key) }
            while index < changes.count, nearest == nil {
                if let row = changes[index].slot.row { nearest = (changes[index].key, row) }
                index += 1
            }
        } else {
            var index = changes.partitionIndex { !$0.key.precedes(origin) } - 1
            while index >= 0, nearest == nil {
                if let row = changes[index].slot.row { nearest = (changes[index].key, row) }
                index -= 1
            }
        }
        var cursor = key
        while let found = stored.neighbour(of: cursor, within: prefix, after: after) {
            let foundKey = ByteKey(found.key)
            if let nearest, !(after ? foundKey.precedes(nearest.key) : nearest.key.precedes(foundKey)) { break }
            if rows.committedRow(found.key) == nil { return found }
            cursor = found.key
        }
        return nearest.map { ($0.key.string, $0.row) }
    }
}

extension Array {
    /// The first index whose element is in the second part: `isSecond` must be false for a
    /// prefix of the array and true for the rest.
    func partitionIndex(where isSecond: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if isSecond(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
