import EventModel
import LMDB

/// A view's state as read: the object version it reflects and the state (a keyed view's
/// summary) as compact JSON.
public struct ViewRead: Sendable, Equatable {
    /// The object's version (seq) the state reflects.
    public let version: Seq
    /// The state, compact JSON with sorted keys.
    public let state: [UInt8]
}

/// A view's own read (``ViewProjection/read(_:summary:rows:)``) as answered.
public struct ViewQueryRead: Sendable {
    /// The object's version (seq) the answer reflects.
    public let version: Seq
    /// The answer, or why the parameters were refused; nil when the view has no such read.
    public let answer: Result<JSONValue, Rejection>?
}

extension EventStore {
    /// The state of `view` for `stream` at `point`: at the head, what every acknowledged write
    /// left (read from the writer's live state when the object is live, else folded from its
    /// last checkpoint); in the past, folded from the nearest snapshot at or below the point
    /// (never more than a checkpoint interval of events, once snapshots exist; a branch's past
    /// before its fork is its parent's). For a keyed view, its summary. Nil when the stream has
    /// no events at all; version 0 with the initial state when none is that old.
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for a damaged event or row.
    public func readView(_ view: AnyProjection, of stream: StreamName, at point: HistoryPoint = .head) throws(EventStoreError) -> ViewRead? {
        // The committed summary is copied with the object's lock held and encoded after.
        if point == .head, let object = live.reader(stream.storageKey), let liveView = object.view(view.name) {
            let (seq, json) = object.lock.withShared { liveView.committedSummary() }
            do { return ViewRead(version: seq, state: try json()) } catch { throw .corruptRecord(position: 0, reason: "a view state does not encode: \(error)") }
        }
        return try withView(view, of: stream, at: point) { source, version, _ in
            ViewRead(version: version, state: try source.summaryJSON())
        }
    }

    /// The rows of the keyed view `view` of `stream` that `query` asks for, at `point` (see
    /// ``readView(_:of:at:)``): in key order, at most `query.limit`, with the key to go on after
    /// when more may follow. Nil when the stream has no events.
    public func readRows(_ view: AnyProjection, of stream: StreamName, _ query: RowQuery, at point: HistoryPoint = .head) throws(EventStoreError)
        -> RowPage?
    {
        try withView(view, of: stream, at: point) { source, version, transaction in
            let page = try source.rows(query, transaction)
            return RowPage(version: version, rows: page.rows, next: page.next)
        }
    }

    /// The view's own read of `parameters` (a building's `?sensor=&from=&to=`), at `point`.
    /// Nil when the stream has no events.
    public func readView(_ view: AnyProjection, of stream: StreamName, parameters: [String: String], at point: HistoryPoint = .head)
        throws(EventStoreError) -> ViewQueryRead?
    {
        try withView(view, of: stream, at: point) { source, version, transaction in
            ViewQueryRead(version: version, answer: try source.read(parameters, transaction))
        }
    }

    /// Runs `body` with the state of `view` at `point`: the live object's committed state (with
    /// its lock held, and the read transaction begun after it was taken, so the transaction sees
    /// every checkpoint that state reads rows as of), or a fold in the transaction.
    private func withView<R>(
        _ view: AnyProjection, of stream: StreamName, at point: HistoryPoint, _ body: (ViewSource, Seq, ReadTransaction) throws -> R
    ) throws(EventStoreError) -> R? {
        let storageKey = stream.storageKey
        if point == .head, let object = live.reader(storageKey), let liveView = object.view(view.name) {
            return try object.lock.withShared { () throws(EventStoreError) -> R? in
                try read { transaction in try body(.live(liveView), liveView.committedSummary().seq, transaction) }
            }
        }
        let target = point == .head ? nil : try seq(of: stream, at: point)
        let (result, repairs): (R?, [SnapshotRepair]) = try read { transaction in
            guard let number = try layout.streamNumber(storageKey, in: transaction) else { return (nil, []) }
            let lineage = try layout.lineage(of: number, in: transaction)
            let head = try layout.head(of: lineage, in: transaction)
            // A branch forked at 0 exists with no events; main with none does not.
            guard head > 0 || stream.branch != .main else { return (nil, []) }
            let at = min(target ?? head, head)
            let folded = try ViewFolder(layout: layout).fold(view, lineage: lineage, at: at, context: RowReadContext(transaction), in: transaction)
            return (try body(.folded(folded.fold), at, transaction), folded.repairs)
        }
        repair(stream, repairs)
        return result
    }

    /// Logs damaged snapshots a read met and has the writer store them again, folded from the
    /// events; the reader does not wait for it.
    func repair(_ stream: StreamName, _ repairs: [SnapshotRepair]) {
        guard !repairs.isEmpty else { return }
        logger.warning(
            "unusable snapshots replaced",
            metadata: ["object": "\(stream)", "view": "\(repairs[0].viewName)", "seqs": "\(repairs.map(\.seq))"])
        Task { try? await submit { .repairSnapshots(stream, repairs, $0) } }
    }
}

/// Where a read finds a view's state: a live object's committed state, or a fold.
private enum ViewSource {
    /// A live view, its object's lock held.
    case live(any LiveViewBox)
    case folded(any FoldedView)

    func summaryJSON() throws -> [UInt8] {
        switch self {
        case .live(let view): try view.committedSummary().json()
        case .folded(let fold): try fold.summaryJSON()
        }
    }

    func rows(_ query: RowQuery, _ transaction: ReadTransaction) throws -> (rows: [RowEntry], next: String?) {
        switch self {
        case .live(let view): try view.committedRows(query, in: transaction)
        case .folded(let fold): try fold.rows(query, in: transaction)
        }
    }

    func read(_ parameters: [String: String], _ transaction: ReadTransaction) throws -> Result<JSONValue, Rejection>? {
        switch self {
        case .live(let view): try view.committedRead(parameters, in: transaction)
        case .folded(let fold): try fold.read(parameters)
        }
    }
}
