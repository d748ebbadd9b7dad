import EventModel
import LMDB

/// The line of history a stream reads: each ancestor's events up to the seq where the next one
/// forked from it, then the stream's own. A fork copies nothing; reading it walks this line.
///
/// For `main` the line is one segment. For a branch `b` forked from `main` at 50, it is
/// `main` 1...50, then `b` 51... (a branch's own seqs go on from its fork seq).
struct Lineage: Equatable {
    /// One stretch of the line: the seqs `firstSeq...lastSeq` are read from `stream`.
    struct Segment: Equatable {
        let stream: UInt64
        let firstSeq: Seq
        /// `Seq.max` for the stream's own (last) segment.
        let lastSeq: Seq
    }

    /// Root first; the last one is the stream's own.
    let segments: [Segment]
    /// Where retention left its events, when it compacted some of them: the latest horizon of
    /// its segments' streams (a stream is never compacted past a fork seq of a branch of it,
    /// and no branch is forked below a horizon, so it lies within the line).
    var horizon: RetentionHorizon? = nil

    /// The first seq it still holds the event of.
    var firstRetainedSeq: Seq { (horizon?.seq ?? 0) + 1 }

    /// Throws ``EventStoreError/compacted(_:)`` when the event `seq` was compacted.
    func checkRetained(_ seq: Seq) throws(EventStoreError) {
        if let horizon, seq <= horizon.seq { throw .compacted(horizon) }
    }

    /// The stream itself.
    var stream: UInt64 { segments[segments.count - 1].stream }
    /// The seq it forked at (0 for a root stream).
    var forkSeq: Seq { segments[segments.count - 1].firstSeq - 1 }

    /// Whether the line, up to `head`, reads the event `seq` of `stream`.
    func reads(stream: UInt64, seq: Seq, head: Seq) -> Bool {
        segments.contains { $0.stream == stream && seq >= $0.firstSeq && seq <= min($0.lastSeq, head) }
    }

    /// The seq its common ancestor with `other` reaches: both lines read the same events up to it.
    func commonAncestorSeq(with other: Lineage, heads: (Seq, Seq)) -> Seq {
        var shared: Seq = 0
        for (mine, theirs) in zip(segments, other.segments) {
            guard mine.stream == theirs.stream else { break }
            let myLast = mine == segments.last ? heads.0 : mine.lastSeq
            let theirLast = theirs == other.segments.last ? heads.1 : theirs.lastSeq
            shared = min(myLast, theirLast)
            guard myLast == theirLast else { break }
        }
        return shared
    }
}

extension StoreLayout {
    /// The line of history of `stream`, read from the `streams` records of it and its ancestors.
    func lineage(of stream: UInt64, in transaction: some ReadableTransaction) throws -> Lineage {
        var reversed: [Lineage.Segment] = []
        var current = stream
        var lastSeq = Seq.max
        var horizon: RetentionHorizon?
        while true {
            guard let record = try StoreKeys.withKey(current, { try transaction.get(streams, key: $0) }),
                record.count >= StreamRecord.headerBytes
            else { throw EventStoreError.corruptRecord(position: 0, reason: "stream \(current) has no record") }
            let header = StreamRecord.header(record)
            // A branch forked below its parent's own fork seq reads nothing of the parent's own
            // events: the stretch is empty and left out.
            if header.forkSeq < lastSeq || reversed.isEmpty {
                reversed.append(Lineage.Segment(stream: current, firstSeq: header.forkSeq + 1, lastSeq: lastSeq))
                if let found = try self.horizon(of: current, in: transaction), found.seq > horizon?.seq ?? 0 { horizon = found }
            }
            guard header.parent != 0, reversed.count < StreamRecord.depthMax else { break }
            lastSeq = min(lastSeq, header.forkSeq)
            current = header.parent
        }
        return Lineage(segments: reversed.reversed(), horizon: horizon)
    }

    /// The head (last seq) of the stream whose line is `lineage`: its last own seq, or its fork
    /// seq while it has no events of its own.
    func head(of lineage: Lineage, in transaction: some ReadableTransaction) throws -> Seq {
        try lastRun(of: lineage.stream, in: transaction)?.lastSeq ?? lineage.forkSeq
    }

    /// Delivers up to `limit` events of the line `lineage` from seq `from` on, in seq order,
    /// reading each seq from the stream that holds it; returns the seq after the last one
    /// delivered (nil when none was). See ``forEachEvent(of:from:limit:bytesMax:in:_:)``.
    /// - Throws: ``EventStoreError/compacted(_:)`` when `from` is at or before the line's
    ///   retention horizon (its events there are gone).
    @discardableResult
    func forEachEvent(
        of lineage: Lineage, from: Seq, limit: Int, bytesMax: Int = .max, in transaction: some ReadableTransaction,
        _ body: (StoredEvent) throws -> Void
    ) throws -> Seq? {
        var seq = max(from, 1)
        try lineage.checkRetained(seq)
        var remaining = limit
        var bytes = 0
        var next: Seq?
        for segment in lineage.segments where segment.lastSeq >= seq && remaining > 0 && bytes < bytesMax {
            let start = max(seq, segment.firstSeq)
            let count = segment.lastSeq == .max ? remaining : Int(clamping: min(UInt64(remaining), segment.lastSeq - start + 1))
            var delivered = 0
            let after = try forEachEvent(of: segment.stream, from: start, limit: count, bytesMax: bytesMax - bytes, in: transaction) { event in
                try body(event)
                delivered += 1
                bytes += event.data.count + event.metadata.count
            }
            guard let after else { break }
            next = after
            seq = after
            remaining -= delivered
            // A stretch that ended early (a byte budget, or an ancestor shorter than expected) ends the read.
            if segment.lastSeq != .max, after <= segment.lastSeq { break }
        }
        return next
    }
}
