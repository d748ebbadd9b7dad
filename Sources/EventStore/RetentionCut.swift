import EventModel

/// One stream's compaction: planned by a reader (``EventStore/applyRetention()``), made by the
/// writer (``BatchApplier/compact(_:)``), which checks again that it still holds.
struct RetentionCut: Sendable {
    /// The stream and its name, which must still name it.
    let stream: UInt64
    let storageKey: [UInt8]
    let object: ObjectKey
    /// The horizon it had when planned (nothing is made if it moved meanwhile).
    let previous: Seq
    /// The new horizon: every view of the stream has a snapshot at its seq.
    let horizon: RetentionHorizon
}

/// What one retention pass compacted.
public struct RetentionPass: Sendable, Equatable {
    /// Object branches compacted.
    public var streams = 0
    /// Events compacted (their records, index entries and ids deleted).
    public var events: UInt64 = 0
    /// Snapshots and row versions deleted (states before a horizon nobody can read).
    public var checkpoints: UInt64 = 0
}
