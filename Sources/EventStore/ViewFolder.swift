import EventModel
import LMDB

/// A snapshot to write again because the one stored was unusable (another view version, a
/// failed checksum or frame): the state folded from the events at its seq.
struct SnapshotRepair {
    let stream: UInt64
    let viewName: String
    let version: Int
    let seq: Seq
    let state: JSONValue
}

/// Folds a view's state at any seq of a line of history from the best starting point there is:
/// the stored state when it is exactly that seq, else the newest usable snapshot or stored state
/// at or below it along the line (a fork starts from its parent's), then the events after it,
/// a bounded chunk at a time, so a stream is never held in memory whole.
struct ViewFolder {
    let layout: StoreLayout
    /// Events folded per call of the projection.
    static let chunkEvents = 4_096
    /// At most this many unusable snapshots are replaced per fold.
    static let repairsMax = 16

    /// The state of `view` on `lineage` after seq `target`, and the snapshots met on the way
    /// that were unusable, folded again.
    func state(
        of view: AnyProjection, lineage: Lineage, at target: Seq, in transaction: some ReadableTransaction
    ) throws -> (state: JSONValue, repairs: [SnapshotRepair]) {
        let start = try base(of: view, lineage: lineage, at: target, in: transaction)
        var state = try start.base?.state ?? view.initial()
        var seq = start.base?.seq ?? 0
        var repairs: [SnapshotRepair] = []
        let stops = start.skipped.filter { $0.seq > seq && $0.seq <= target }.sorted { $0.seq < $1.seq }
        for stop in stops {
            state = try fold(view, lineage: lineage, state: state, after: seq, through: stop.seq, in: transaction)
            seq = stop.seq
            repairs.append(SnapshotRepair(stream: stop.stream, viewName: view.name, version: view.version, seq: stop.seq, state: state))
        }
        state = try fold(view, lineage: lineage, state: state, after: seq, through: target, in: transaction)
        return (state, repairs)
    }

    /// The state of `view` on `lineage` at `head`, folded for a rebuild: from the best usable
    /// starting point (or, `fromScratch`, from the initial state), with the states at every
    /// multiple of `interval` past the fork seq (the stream's own snapshots) and the number of
    /// events folded.
    func rebuild(
        _ view: AnyProjection, lineage: Lineage, head: Seq, interval: UInt64, fromScratch: Bool, in transaction: some ReadableTransaction
    ) throws -> (state: JSONValue, snapshots: [(seq: Seq, state: JSONValue)], events: UInt64) {
        let start = fromScratch ? (base: nil, skipped: []) : try base(of: view, lineage: lineage, at: head, in: transaction)
        var state = try start.base?.state ?? view.initial()
        var seq = start.base?.seq ?? 0
        let first = seq
        var snapshots: [(seq: Seq, state: JSONValue)] = []
        var stop = (max(seq, lineage.forkSeq) / interval + 1) * interval
        while stop <= head {
            state = try fold(view, lineage: lineage, state: state, after: seq, through: stop, in: transaction)
            seq = stop
            snapshots.append((stop, state))
            stop += interval
        }
        state = try fold(view, lineage: lineage, state: state, after: seq, through: head, in: transaction)
        return (state, snapshots, head - first)
    }

    /// The states of `view` on `lineage` after each of `seqs` (ascending), folded from the
    /// initial state and nothing stored: what stored states and snapshots are checked against.
    func statesFromScratch(of view: AnyProjection, lineage: Lineage, at seqs: [Seq], in transaction: some ReadableTransaction) throws -> [JSONValue] {
        var state = try view.initial()
        var seq: Seq = 0
        var states: [JSONValue] = []
        for stop in seqs {
            state = try fold(view, lineage: lineage, state: state, after: seq, through: stop, in: transaction)
            seq = stop
            states.append(state)
        }
        return states
    }

    /// The best starting point for `view` at `target` along `lineage` (nil: the initial state),
    /// and the unusable snapshots passed over.
    private func base(
        of view: AnyProjection, lineage: Lineage, at target: Seq, in transaction: some ReadableTransaction
    ) throws -> (base: (seq: Seq, state: JSONValue)?, skipped: [(stream: UInt64, seq: Seq)]) {
        var skipped: [(stream: UInt64, seq: Seq)] = []
        var base: (seq: Seq, state: JSONValue)?
        for segment in lineage.segments.reversed() where segment.firstSeq <= target || segment.firstSeq == 1 {
            let bound = min(target, segment.lastSeq)
            if let stored = try StoredView.read(stream: segment.stream, name: view.name, layout: layout, transaction: transaction),
                stored.version == view.version, stored.seq <= bound, stored.seq >= segment.firstSeq
            {
                base = (stored.seq, stored.state)
            }
            if bound > 0, let snapshot = try layout.snapshot(of: view, stream: segment.stream, atMost: bound, in: transaction, skipped: {
                if skipped.count < Self.repairsMax { skipped.append((segment.stream, $0)) }
            }), snapshot.seq > base?.seq ?? 0 {
                base = snapshot
            }
            if base != nil { break }
        }
        return (base, skipped)
    }

    /// `state` (after seq `after`) with the events `after+1...through` folded in.
    private func fold(
        _ view: AnyProjection, lineage: Lineage, state: JSONValue, after: Seq, through: Seq, in transaction: some ReadableTransaction
    ) throws -> JSONValue {
        var state = state
        var next = after + 1
        var chunk: [RecordedEvent] = []
        chunk.reserveCapacity(min(Self.chunkEvents, Int(clamping: through &- after)))
        while next <= through {
            chunk.removeAll(keepingCapacity: true)
            let count = Int(clamping: min(UInt64(Self.chunkEvents), through - next + 1))
            guard let after = try layout.forEachEvent(of: lineage, from: next, limit: count, in: transaction, { event in
                if let types = view.eventTypes, !types.contains(where: { $0.elementsEqual(event.type) }) { return }
                chunk.append(try RecordedEvent(event))
            })
            else { break }
            if !chunk.isEmpty { state = try view.fold(state, chunk) }
            next = after
        }
        return state
    }
}
