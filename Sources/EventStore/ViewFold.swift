import EventModel
import LMDB

/// A view folded away from the writer's live state: by a reader (a view as of a point, or of an
/// object that is not live), by the writer waking an object up, by a rebuild or by `verify`. It
/// starts from a snapshot (its summary, and the rows stored as of it) and folds the events after
/// it, keeping the rows they change in memory.
protocol FoldedView: AnyObject {
    /// The view.
    var view: AnyProjection { get }
    /// The transaction its row lookups read (moved to a new one when a fold goes on in another).
    var context: RowReadContext { get }
    /// The seq folded through.
    var seq: Seq { get }
    /// The snapshot it started from (or last checkpointed at); 0 for the initial state.
    var baseSeq: Seq { get }
    /// Folds `events`, which follow ``seq``.
    /// - Throws: what a row lookup met (a damaged row, a failed read).
    func fold(_ events: [RecordedEvent]) throws
    /// Moves ``seq`` to `seq` with no event folded (the events up to it are of types the view
    /// does not read).
    func skip(to seq: Seq)
    /// The summary as compact JSON with sorted keys (what snapshots store and reads answer).
    func summaryJSON() throws -> [UInt8]
    /// The rows `query` asks for.
    func rows(_ query: RowQuery, in transaction: some ReadableTransaction) throws -> (rows: [RowEntry], next: String?)
    /// The view's own read of `parameters`, if it is one.
    func read(_ parameters: [String: String]) throws -> Result<JSONValue, Rejection>?
    /// The rows changed by events after `seq` (and since ``baseSeq``), in key order, as a
    /// checkpoint stores them; a removed row has no JSON.
    func changedRows(since seq: Seq) throws -> [ChangedRow]
    /// The changes are stored now, as of the snapshot at `seq` that `stored` reads: they are
    /// dropped from memory.
    func checkpointed(at seq: Seq, stored: StoredRows)
    /// What deciders, timer handlers and invariants read.
    var stateValue: any Sendable { get }
    /// The summary and the rows in memory, counted in rows.
    var heldRows: Int { get }
    /// The writer's live view of this fold's state (which must be at the stream's head).
    func liveView(summaryBytes: Int) -> any LiveViewBox
}

/// A row a checkpoint stores: its key, its JSON (nil: removed) and the seq of the event that
/// changed it last.
struct ChangedRow: Sendable {
    let key: String
    let json: [UInt8]?
    let seq: Seq
}

/// The typed fold of one view.
final class ViewFold<P: ViewProjection>: FoldedView {
    let view: AnyProjection
    let projection: P
    private(set) var summary: P.Summary
    /// The rows changed since the base (its batch layer), over the rows stored as of it.
    private(set) var overlay: LayeredRows<P.Row>
    private(set) var stored: StoredRowStorage<P.Row>
    let context: RowReadContext
    private(set) var seq: Seq
    private(set) var baseSeq: Seq
    private let eventTypes: Set<String>?

    init(view: AnyProjection, projection: P, summary: P.Summary?, stored: StoredRows, context: RowReadContext, baseSeq: Seq) {
        self.view = view
        self.projection = projection
        self.summary = summary ?? projection.initialSummary
        self.stored = StoredRowStorage(stored, context: context)
        overlay = LayeredRows(below: self.stored)
        self.context = context
        seq = baseSeq
        self.baseSeq = baseSeq
        eventTypes = projection.eventTypes.map(Set.init)
    }

    func fold(_ events: [RecordedEvent]) throws {
        let rows = Rows(overlay, seq: seq)
        for event in events {
            if eventTypes?.contains(event.type) ?? true {
                projection.fold(&summary, rows.written(by: event.seq), event)
            }
            seq = event.seq
        }
        try context.check()
    }

    func skip(to seq: Seq) { self.seq = max(self.seq, seq) }

    func summaryJSON() throws -> [UInt8] { try ViewCoding.summaryJSON(summary) }

    func rows(_ query: RowQuery, in transaction: some ReadableTransaction) throws -> (rows: [RowEntry], next: String?) {
        let changes = RowLayers.matches(query, in: [overlay.batch])
        return try RowPaging.rows(query, changes: changes, stored: stored.rows, encode: ViewCoding.rowJSON, in: transaction)
    }

    func read(_ parameters: [String: String]) throws -> Result<JSONValue, Rejection>? {
        let answer = projection.read(parameters, summary: summary, rows: RowReader(overlay))
        try context.check()
        return answer
    }

    func changedRows(since seq: Seq) throws -> [ChangedRow] {
        try overlay.batch.filter { $0.value.seq > seq }.sorted { $0.key.precedes($1.key) }.map { key, slot in
            ChangedRow(key: key.string, json: try slot.row.map(ViewCoding.rowJSON), seq: slot.seq)
        }
    }

    func checkpointed(at seq: Seq, stored rows: StoredRows) {
        stored = StoredRowStorage(rows, context: context)
        overlay = LayeredRows(below: stored)
        baseSeq = seq
    }

    var stateValue: any Sendable { projection.state(summary, RowReader(overlay)) }

    var heldRows: Int { overlay.batch.count }

    func liveView(summaryBytes: Int) -> any LiveViewBox {
        LiveView(
            view: view, projection: projection, summary: summary, rows: LiveRows(below: stored, changes: overlay.batch), stored: stored,
            seq: seq, markerSeq: baseSeq, summaryBytes: summaryBytes)
    }
}

/// How view states become JSON: summaries sorted and compact, so equal states give equal bytes
/// (checksums compare them); rows straight from their fields.
enum ViewCoding {
    static func summaryJSON<Summary: Encodable>(_ summary: Summary) throws -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.value(try JSONValueEncoder().encode(summary))
        return writer.bytes
    }

    static func rowJSON<Row: Encodable>(_ row: Row) throws -> [UInt8] {
        try JSONBytesEncoder().encode(row)
    }
}

/// Folds views from their best starting point: the newest usable snapshot at or below the point
/// wanted along the line of history (a fork starts from its parent's), then the events after
/// it, a bounded chunk at a time, so a stream is never held in memory whole.
struct ViewFolder {
    let layout: StoreLayout
    /// Events read per chunk.
    static let chunkEvents = 4_096
    /// At most this many damaged snapshots are replaced per fold.
    static let repairsMax = 16

    /// `view` on `lineage` after seq `target`, and the damaged snapshots met on the way, folded
    /// again. `fromScratch`: from the initial state, whatever is stored.
    func fold(
        _ view: AnyProjection, lineage: Lineage, at target: Seq, context: RowReadContext, fromScratch: Bool = false,
        in transaction: some ReadableTransaction
    ) throws -> (fold: any FoldedView, repairs: [SnapshotRepair]) {
        let start = fromScratch ? (base: nil, skipped: []) : try base(of: view, lineage: lineage, at: target, in: transaction)
        let folded = try Self.makeFold(view, lineage: lineage, base: start.base, layout: layout, context: context)
        var repairs: [SnapshotRepair] = []
        let stops = start.skipped.filter { $0.seq > folded.seq && $0.seq <= target }.sorted { $0.seq < $1.seq }
        for stop in stops {
            try advance(folded, lineage: lineage, through: stop.seq, in: transaction)
            repairs.append(SnapshotRepair(stream: stop.stream, viewName: view.name, version: view.version, seq: stop.seq, summary: try folded.summaryJSON()))
        }
        try advance(folded, lineage: lineage, through: target, in: transaction)
        return (folded, repairs)
    }

    /// A fold of `view` starting at `base` (nil: the initial state), over the rows stored as of it.
    static func makeFold(
        _ view: AnyProjection, lineage: Lineage, base: (seq: Seq, summary: JSONValue)?, layout: StoreLayout, context: RowReadContext
    ) throws -> any FoldedView {
        let stored = StoredRows(layout: layout, lineage: lineage, view: view.name, version: view.version, bound: base?.seq ?? 0)
        func make<P: ViewProjection>(_ projection: P) throws -> any FoldedView {
            let summary = try base.map { try JSONValueDecoder().decode(P.Summary.self, from: $0.summary) }
            return ViewFold(view: view, projection: projection, summary: summary, stored: stored, context: context, baseSeq: base?.seq ?? 0)
        }
        return try make(view.projection)
    }

    /// Folds the events of `lineage` after `folded.seq` through `target` into `folded`.
    func advance(_ folded: any FoldedView, lineage: Lineage, through target: Seq, in transaction: some ReadableTransaction) throws {
        var next = folded.seq + 1
        var chunk: [RecordedEvent] = []
        chunk.reserveCapacity(min(Self.chunkEvents, Int(clamping: target &- folded.seq)))
        let types = folded.view.eventTypes
        while next <= target {
            chunk.removeAll(keepingCapacity: true)
            let count = Int(clamping: min(UInt64(Self.chunkEvents), target - next + 1))
            guard let after = try layout.forEachEvent(of: lineage, from: next, limit: count, in: transaction, { event in
                if let types, !types.contains(where: { $0.elementsEqual(event.type) }) { return }
                chunk.append(try RecordedEvent(event))
            })
            else { break }
            if !chunk.isEmpty { try folded.fold(chunk) }
            folded.skip(to: after - 1)
            next = after
        }
    }

    /// The best starting point for `view` at `target` along `lineage` (nil: the initial state),
    /// and the damaged snapshots passed over.
    func base(
        of view: AnyProjection, lineage: Lineage, at target: Seq, in transaction: some ReadableTransaction
    ) throws -> (base: (seq: Seq, summary: JSONValue)?, skipped: [(stream: UInt64, seq: Seq)]) {
        var skipped: [(stream: UInt64, seq: Seq)] = []
        for segment in lineage.segments.reversed() {
            let bound = min(target, segment.lastSeq)
            guard bound > 0 else { continue }
            if let snapshot = try layout.snapshot(of: view, stream: segment.stream, atMost: bound, in: transaction, skipped: {
                if skipped.count < Self.repairsMax { skipped.append((segment.stream, $0)) }
            }) {
                return (snapshot, skipped)
            }
        }
        return (nil, skipped)
    }
}

extension RecordedEvent {
    /// The event as reducers see it, its data parsed from the stored bytes.
    init(_ event: StoredEvent) throws {
        self.init(
            seq: event.seq, id: event.id, type: String(decoding: event.type, as: UTF8.self), data: try JSONValue(parsing: event.data),
            timeMilliseconds: event.timeMilliseconds)
    }
}
