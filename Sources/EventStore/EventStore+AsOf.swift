import EventModel

/// A point in an object's past.
public enum HistoryPoint: Sendable, Equatable {
    /// The head: every event.
    case head
    /// After the event with this seq (or the head, if it is further).
    case seq(Seq)
    /// After the last event committed at or before this time (ms since the epoch).
    case time(Int64)
}

extension EventStore {
    /// The last seq of `stream` at `point`: 0 when no event is that old, the head at most.
    /// Commit times never go backwards, so the events at or before a time are a prefix.
    public func seq(of stream: StreamName, at point: HistoryPoint) throws(EventStoreError) -> Seq {
        let head = try version(of: stream)
        switch point {
        case .head: return head
        case .seq(let seq): return min(seq, head)
        case .time(let milliseconds):
            // Commit times never go backwards within a stream: binary search, one event read
            // per step, instead of a scan of the whole stream.
            // Before the retention horizon only the views' states at it are kept.
            var low: Seq = 0
            if let horizon = try horizon(of: stream) {
                guard milliseconds >= horizon.milliseconds else { throw .compacted(horizon) }
                low = horizon.seq
            }
            var high = head
            while low < high {
                let middle = low + (high - low + 1) / 2
                var time = Int64.max
                _ = try readStream(stream, from: middle, limit: 1) { time = $0.timeMilliseconds }
                if time <= milliseconds { low = middle } else { high = middle - 1 }
            }
            return low
        }
    }
}

extension EventStore {
    /// Checkpoints every view of `stream` at its head now (besides the checkpoints written every
    /// K events), through the writer, and answers once its snapshots are written. A branch with
    /// no events yet (forked at 0) has nothing to snapshot: the answer names no view and nothing
    /// is written.
    /// - Throws: ``EventStoreError/branchNotFound(_:)`` for a branch that does not exist (or an
    ///   object with no events), ``EventStoreError/invalidRequest(field:reason:)`` when its type
    ///   has no views.
    public func snapshot(_ stream: StreamName) async throws(EventStoreError) -> SnapshotTaken {
        try await submit { .snapshot(stream, $0) }
    }
}

/// The snapshots one request took: the version they are at and the views snapshotted.
public struct SnapshotTaken: Sendable, Equatable {
    /// The object and branch.
    public let stream: StreamName
    /// The head the views were snapshotted at.
    public let version: Seq
    /// The views snapshotted; empty at version 0, where there is nothing to snapshot.
    public let views: [String]

    /// `{"object", "branch", "version", "views"}`, for the server and `evtool` alike.
    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.ascii("{\"object\":")
        writer.string(stream.object.description)
        writer.ascii(",\"branch\":")
        writer.string(stream.branch.name)
        writer.ascii(",\"version\":")
        writer.integer(version)
        writer.ascii(",\"views\":")
        writer.value(.array(views.map(JSONValue.string)))
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}
