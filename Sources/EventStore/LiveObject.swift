import EventModel
import Foundation

/// One object branch kept live by the writer: its views' typed states, and what the writer
/// knows of it to checkpoint and evict it.
final class LiveObject: @unchecked Sendable {
    /// The object and branch.
    let stream: StreamName
    /// Its stream number.
    let number: UInt64
    /// Its line of history.
    let lineage: Lineage
    /// Its views, in the order of its type's definition.
    let views: [any LiveViewBox]
    /// Guards the committed states readers see: the writer changes them with it held
    /// exclusively, readers take it shared.
    let lock = ReadWriteLock()
    /// The writer's batch number when it was last written or read (for least-recently-used
    /// eviction). Writer only.
    var lastUsedBatch: UInt64 = 0
    /// A checkpoint of it is being written. Writer only.
    var isCheckpointing = false
    /// Checkpoints of it captured and waiting to be written, in order: started while one was
    /// written, or failed and to be tried again. Writer only.
    var queued: [CheckpointJob] = []
    /// It leaves memory once its checkpoint is written, unless it is used again meanwhile.
    /// Writer only.
    var isEvicting = false
    /// When its last checkpoint started, ms on the store's clock (when it woke up, before one).
    /// Writer only.
    var checkpointedMilliseconds: Int64
    /// When its entry in the writer's timed checks is due (nil: it has none). Writer only.
    var timedCheckDue: Int64?
    /// Its neighbours in the writer's least-recently-used order (not linked while it is being
    /// evicted). Writer only.
    var lessRecent: LiveObject?
    var moreRecent: LiveObject?
    var isInRecencyOrder = false
    /// Its estimated memory, as last counted. Writer only.
    var countedBytes = 0
    /// The rows it held, as last counted. Writer only.
    var countedRows = 0

    init(stream: StreamName, number: UInt64, lineage: Lineage, views: [any LiveViewBox], nowMilliseconds: Int64) {
        self.stream = stream
        self.number = number
        self.lineage = lineage
        self.views = views
        checkpointedMilliseconds = nowMilliseconds
    }

    /// The head: the seq every view's working state is at.
    var seq: Seq { views.first?.seq ?? lineage.forkSeq }

    /// The view `name`.
    func view(_ name: String) -> (any LiveViewBox)? { views.first { $0.view.name == name } }

    /// Folds `events` into every view.
    func fold(_ events: [RecordedEvent]) {
        for view in views { view.fold(events) }
    }

    /// The memory its views hold, estimated.
    var estimatedBytes: Int { views.reduce(512) { $0 + $1.estimatedBytes } }

    /// The rows its views hold in memory.
    var heldRows: Int { views.reduce(0) { $0 + $1.heldRows } }

    /// Whether every view's committed state is checkpointed and nothing is being written: it
    /// can leave memory with nothing lost.
    var isClean: Bool {
        views.allSatisfy { view in
            let changes = view.changes
            return !changes.writing && view.markerSeq >= view.seq
        }
    }
}

/// A readers-writer lock (`pthread_rwlock_t`): many readers at once, or one writer.
final class ReadWriteLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` holding the lock shared.
    func withShared<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body` holding the lock exclusively.
    func withExclusive<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
