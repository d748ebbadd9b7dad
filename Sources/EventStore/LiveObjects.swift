import EventModel
import LMDB
import Logging
import Synchronization

/// The settings of live objects: the memory they may hold, and when their views are
/// checkpointed.
public struct LiveConfiguration: Sendable, Equatable {
    /// The memory live objects may hold, estimated (each view: twice its summary's JSON, and per
    /// row held in memory twice its JSON plus ``rowOverheadBytes``). Past it, the rows held that
    /// are stored already leave first, then the least recently used objects (once
    /// checkpointed), and an object in use whose changes alone pass it is checkpointed at once.
    public var bytesMax: Int = 512 << 20
    /// A view is checkpointed at the latest this long after its last checkpoint began, if it
    /// changed since, ms.
    public var checkpointIntervalMilliseconds: Int64 = 30_000
    /// A keyed view is checkpointed once this many of its rows changed since the last one.
    public var checkpointRowsMax: Int = 10_000
    /// Checkpoints written at once, whatever their size; more wait their turn, unless they are
    /// small (then up to 512 at once, holding 16 MiB together, share the writer's
    /// transactions).
    public var checkpointsInFlightMax: Int = 4
    /// Rows per writer command of a checkpoint, at most, so writing one never holds the writer
    /// long.
    public var checkpointChunkRowsMax: Int = 1_024
    /// Bytes of rows per writer command of a checkpoint, at most.
    public var checkpointChunkBytesMax: Int = 256 << 10

    /// The memory a row held in memory takes besides its value, as measured: its cell, its
    /// entries in the tables that find it, its key.
    public static let rowOverheadBytes = 320

    /// The defaults: 512 MiB, every 30 s or 1,000 events (the snapshot interval) or 10,000 rows.
    public init() {}
}

/// What the live objects hold, as last counted by the writer.
public struct LiveStatistics: Sendable, Equatable {
    /// Objects live.
    public var objects = 0
    /// Rows of keyed views held in memory.
    public var rows = 0
    /// Their memory, estimated (what ``LiveConfiguration/bytesMax`` bounds).
    public var bytes = 0
}

/// The objects the writer keeps live: their typed view states, woken from their last checkpoint
/// plus the events after it, folded as they are written to, checkpointed off the commit path,
/// and sent away (least recently used first) when they hold more memory than allowed.
///
/// Only the writer thread calls its methods, except ``reader(_:)``.
final class LiveObjects: @unchecked Sendable {
    let layout: StoreLayout
    let objectTypes: [String: ObjectTypeDefinition]
    let configuration: LiveConfiguration
    let snapshotIntervalEvents: UInt64
    let logger: Logger
    /// The transaction the writer's row lookups read, and the first error they met.
    let context = RowReadContext()
    /// Writes checkpoints (set by the store once it runs).
    let checkpoints: Checkpoints

    private var objects: [UInt64: LiveObject] = [:]
    private let published = Mutex<[[UInt8]: LiveObject]>([:])
    /// Objects the batch being written touched, and those it woke or created.
    private var touched: [UInt64: LiveObject] = [:]
    private var fresh: Set<UInt64> = []
    /// Objects with changes not checkpointed.
    private var dirty: Set<UInt64> = []
    /// When each dirty object is next looked at for a timed checkpoint (its last checkpoint's
    /// start plus the interval), in about that order: ``maintain(nowMilliseconds:)`` looks only
    /// at those due, so a million objects with changes cost nothing per batch.
    private var timedChecks: [(dueMilliseconds: Int64, number: UInt64)] = []
    /// The first entry of ``timedChecks`` not looked at yet.
    private var timedChecksStart = 0
    private(set) var batchNumber: UInt64 = 0
    /// Live objects not being evicted, least recently used first (a list through the objects,
    /// so using one and finding the next to evict cost the same with a million live).
    private var leastRecent: LiveObject?
    private var mostRecent: LiveObject?
    /// Objects being evicted (waiting for their checkpoint), and objects holding rows.
    private var evicting: Set<UInt64> = []
    private var holdingRows: Set<UInt64> = []
    private var countedBytes = 0
    private var countedRows = 0
    /// The counts as of the writer's last change, for other threads.
    private let shared = Mutex(LiveStatistics())

    init(
        layout: StoreLayout, objectTypes: [String: ObjectTypeDefinition], configuration: LiveConfiguration, snapshotIntervalEvents: UInt64,
        logger: Logger
    ) {
        self.layout = layout
        self.objectTypes = objectTypes
        self.configuration = configuration
        self.snapshotIntervalEvents = max(1, snapshotIntervalEvents)
        self.logger = logger
        checkpoints = Checkpoints(layout: layout, configuration: configuration, logger: logger)
    }

    /// What the live objects hold, as the writer last counted it (any thread).
    var statistics: LiveStatistics { shared.withLock { $0 } }

    /// Publishes the counts (writer).
    private func publishStatistics() {
        let now = LiveStatistics(objects: objects.count, rows: countedRows, bytes: countedBytes)
        shared.withLock { $0 = now }
    }

    // MARK: - The writer's batches

    /// The batch's transaction.
    private var transaction: WriteTransaction?

    /// A batch begins in `transaction`.
    func beginBatch(_ transaction: WriteTransaction) {
        batchNumber += 1
        self.transaction = transaction
        context.transaction = transaction
        context.failure = nil
    }

    /// The live object of `stream` (number `number`, at `head`), woken from storage if it is
    /// not live, marked as used by this batch. Nil for a type without views.
    /// - Throws: what reading storage met.
    func object(_ stream: StreamName, number: UInt64, head: Seq, nowMilliseconds: Int64) throws -> LiveObject? {
        guard let definition = objectTypes[stream.object.type.name], !definition.views.isEmpty else { return nil }
        if let object = objects[number] {
            if object.seq == head {
                use(object)
                return object
            }
            // Never expected: every write folds into the live object. Wake it again rather
            // than decide on a state that is not the head's.
            logger.error("live object out of step; woken again", metadata: ["object": "\(stream)", "live.seq": "\(object.seq)", "head": "\(head)"])
            remove(number)
        }
        guard let transaction else { throw EventStoreError.closed }
        let lineage = try layout.lineage(of: number, in: transaction)
        var views: [any LiveViewBox] = []
        var repairs: [SnapshotRepair] = []
        for view in definition.views {
            let folded = try ViewFolder(layout: layout).fold(view, lineage: lineage, at: head, context: context, in: transaction)
            views.append(folded.fold.liveView(summaryBytes: 256))
            repairs += folded.repairs
        }
        for repair in repairs {
            try SnapshotWriter().write(
                stream: repair.stream, name: repair.viewName, version: repair.version, seq: repair.seq, summary: repair.summary, layout: layout,
                transaction: transaction)
        }
        let object = LiveObject(stream: stream, number: number, lineage: lineage, views: views, nowMilliseconds: nowMilliseconds)
        objects[number] = object
        published.withLock { $0[stream.storageKey] = object }
        fresh.insert(number)
        use(object)
        return object
    }

    private func use(_ object: LiveObject) {
        object.lastUsedBatch = batchNumber
        if object.isEvicting {
            object.isEvicting = false
            evicting.remove(object.number)
        }
        unlink(object)
        link(object)
        touched[object.number] = object
    }

    /// Forgets the live object of a stream deleted in this batch.
    func remove(_ number: UInt64) {
        guard let object = objects.removeValue(forKey: number) else { return }
        unlink(object)
        evicting.remove(number)
        holdingRows.remove(number)
        published.withLock { $0[object.stream.storageKey] = nil }
        touched[number] = nil
        dirty.remove(number)
        countedBytes -= object.countedBytes
        countedRows -= object.countedRows
        publishStatistics()
    }

    /// The batch is durable: publishes what it folded.
    func batchCommitted(nowMilliseconds: Int64) {
        for object in touched.values {
            object.lock.withExclusive {
                for view in object.views { view.commitBatch() }
            }
            if !object.isClean, dirty.insert(object.number).inserted, object.timedCheckDue == nil {
                scheduleTimedCheck(object, at: object.checkpointedMilliseconds + configuration.checkpointIntervalMilliseconds)
            }
            recount(object)
        }
        let used = Array(touched.values)
        finishBatch()
        for object in used where isDue(object, nowMilliseconds: nowMilliseconds, timed: false) {
            checkpoint(object, nowMilliseconds: nowMilliseconds)
        }
        evictIfOverBudget(nowMilliseconds: nowMilliseconds, used: used)
    }

    /// The batch failed: what it folded is forgotten, and the objects it woke or created leave
    /// (a stream it created does not exist).
    func batchFailed() {
        for object in touched.values {
            for view in object.views { view.discardBatch() }
        }
        for number in fresh { remove(number) }
        finishBatch()
    }

    private func finishBatch() {
        touched = [:]
        fresh = []
        transaction = nil
        context.transaction = nil
        context.failure = nil
    }

    /// Throws the error a row lookup of this batch met, if any.
    func checkLookups() throws { try context.check() }

    // MARK: - Checkpoints and eviction

    /// Entries of ``timedChecks`` not looked at yet (read once the writer has stopped).
    var timedCheckEntries: Int { timedChecks.count - timedChecksStart }

    /// Puts `object` in ``timedChecks`` at `due`: one entry per object at a time.
    private func scheduleTimedCheck(_ object: LiveObject, at due: Int64) {
        object.timedCheckDue = due
        timedChecks.append((due, object.number))
    }

    /// Time-based checkpoints and eviction, between batches (the writer calls it when idle too).
    func maintain(nowMilliseconds: Int64) {
        while timedChecksStart < timedChecks.count, timedChecks[timedChecksStart].dueMilliseconds <= nowMilliseconds {
            let first = timedChecks[timedChecksStart]
            timedChecksStart += 1
            if timedChecksStart >= 4_096, timedChecksStart * 2 >= timedChecks.count {
                timedChecks.removeFirst(timedChecksStart)
                timedChecksStart = 0
            }
            // An entry of an object that left (or of one woken again since) is dropped.
            guard let object = objects[first.number], object.timedCheckDue == first.dueMilliseconds else { continue }
            object.timedCheckDue = nil
            guard dirty.contains(first.number) else { continue }
            if isDue(object, nowMilliseconds: nowMilliseconds, timed: true) { checkpoint(object, nowMilliseconds: nowMilliseconds) }
            // Still changed (checkpointed since, or under way, or its checkpoint failed): looked
            // at again an interval after its last checkpoint began, or a second from now.
            scheduleTimedCheck(object, at: max(object.checkpointedMilliseconds + configuration.checkpointIntervalMilliseconds, nowMilliseconds + 1_000))
        }
        evictIfOverBudget(nowMilliseconds: nowMilliseconds)
        checkpoints.startWaiting()
    }

    /// Whether a checkpoint of `object` should start: a view passed its interval of events or
    /// rows since its last one started (even while that one is written: checkpoints stay an
    /// interval apart, so an as-of read folds no more), or `timed` and its time is up with no
    /// checkpoint under way; or a checkpoint of it failed and waits to be tried again.
    private func isDue(_ object: LiveObject, nowMilliseconds: Int64, timed: Bool) -> Bool {
        if object.isCheckpointing {
            guard object.queued.count < Self.queuedCheckpointsMax else { return false }
        } else if !object.queued.isEmpty {
            return true
        }
        let interval = objectTypes[object.stream.object.type.name]?.snapshotIntervalEvents
        for view in object.views {
            let changes = view.changes
            let events = view.seq - view.frozenSeq
            guard events > 0 else { continue }
            if events >= max(1, view.view.snapshotIntervalEvents ?? interval ?? snapshotIntervalEvents) || changes.rows >= configuration.checkpointRowsMax {
                return true
            }
            if timed, !object.isCheckpointing, nowMilliseconds - object.checkpointedMilliseconds >= configuration.checkpointIntervalMilliseconds {
                return true
            }
        }
        return false
    }

    /// Checkpoints of one object started while one of it is written, waiting their turn, at
    /// most: past it, the next starts once one is stored.
    static let queuedCheckpointsMax = 3

    /// Starts a checkpoint of every view of `object` that changed since its last one started.
    /// While one is written, it is captured now (a few at most) and written after it; a
    /// checkpoint that failed is tried again first.
    func checkpoint(_ object: LiveObject, nowMilliseconds: Int64) {
        if object.isCheckpointing {
            guard object.queued.count < Self.queuedCheckpointsMax else { return }
            let frozen = object.lock.withExclusive { object.views.compactMap { $0.freeze() } }
            guard !frozen.isEmpty else { return }
            object.checkpointedMilliseconds = nowMilliseconds
            object.queued.append(CheckpointJob(object: object, frozen: frozen))
        } else if !object.queued.isEmpty {
            object.isCheckpointing = true
            checkpoints.enqueue(object.queued.removeFirst(), done: nil)
        } else {
            start(object, nowMilliseconds: nowMilliseconds, done: nil)
        }
    }

    /// Starts a checkpoint of the committed state of `object`, none being under way or queued;
    /// `done` gets the error that stopped it, or nil (at once when there is nothing to write).
    private func start(_ object: LiveObject, nowMilliseconds: Int64, done: (@Sendable (EventStoreError?) -> Void)?) {
        let frozen = object.lock.withExclusive { object.views.compactMap { $0.freeze() } }
        guard !frozen.isEmpty else {
            done?(nil)
            finishCheckpoint(object, failed: nil)
            return
        }
        object.isCheckpointing = true
        object.checkpointedMilliseconds = nowMilliseconds
        checkpoints.enqueue(CheckpointJob(object: object, frozen: frozen), done: done)
    }

    /// A checkpoint of `object` ended (the writer runs this): the next one captured starts; a
    /// `failed` one waits to be tried again, first.
    func finishCheckpoint(_ object: LiveObject, failed: CheckpointJob?) {
        object.isCheckpointing = false
        guard objects[object.number] === object else { return }
        if let failed {
            object.queued.insert(failed, at: 0)
        } else if !object.queued.isEmpty {
            object.isCheckpointing = true
            checkpoints.enqueue(object.queued.removeFirst(), done: nil)
        }
        if object.isClean { dirty.remove(object.number) }
        recount(object)
        if object.isEvicting {
            if object.isClean {
                remove(object.number)
            } else if failed == nil {
                // Changed while this checkpoint was written: checkpointed again, to leave then.
                if !object.isCheckpointing { checkpoint(object, nowMilliseconds: object.checkpointedMilliseconds) }
            } else {
                // Stays until its checkpoint is written: first in line to leave again.
                object.isEvicting = false
                evicting.remove(object.number)
                link(object, leastRecent: true)
            }
        }
        checkpoints.startWaiting()
    }

    /// Puts `object` at the most recently used end of the order (or the least, to leave first).
    private func link(_ object: LiveObject, leastRecent asLeast: Bool = false) {
        guard !object.isInRecencyOrder else { return }
        object.isInRecencyOrder = true
        if asLeast {
            object.moreRecent = leastRecent
            leastRecent?.lessRecent = object
            leastRecent = object
            if mostRecent == nil { mostRecent = object }
        } else {
            object.lessRecent = mostRecent
            mostRecent?.moreRecent = object
            mostRecent = object
            if leastRecent == nil { leastRecent = object }
        }
    }

    private func unlink(_ object: LiveObject) {
        guard object.isInRecencyOrder else { return }
        object.isInRecencyOrder = false
        if let less = object.lessRecent { less.moreRecent = object.moreRecent } else { leastRecent = object.moreRecent }
        if let more = object.moreRecent { more.lessRecent = object.lessRecent } else { mostRecent = object.lessRecent }
        object.lessRecent = nil
        object.moreRecent = nil
    }

    /// Checkpoints `object` as it is committed now, after the checkpoints under way or queued
    /// (a failed one tried again: if it fails again, `done` gets its error); `done` gets the
    /// error that stopped it, or nil.
    func checkpointNow(_ object: LiveObject, nowMilliseconds: Int64, done: @escaping @Sendable (EventStoreError?) -> Void) {
        if object.isCheckpointing {
            // Runs on the writer thread, when the checkpoint under way ends.
            checkpoints.whenDone(object.number) { [unowned self] _ in
                checkpointNow(object, nowMilliseconds: nowMilliseconds, done: done)
            }
        } else if !object.queued.isEmpty {
            object.isCheckpointing = true
            checkpoints.enqueue(object.queued.removeFirst()) { [unowned self] failure in
                if let failure { return done(failure) }
                checkpointNow(object, nowMilliseconds: nowMilliseconds, done: done)
            }
        } else {
            start(object, nowMilliseconds: nowMilliseconds, done: done)
        }
        checkpoints.startWaiting()
    }

    /// Checkpoints every live object that has changes and calls `done` once all are written
    /// (what closing the store waits for), with the first error met.
    func checkpointAll(nowMilliseconds: Int64, done: @escaping @Sendable (EventStoreError?) -> Void) {
        let pending = dirty.compactMap { objects[$0] }
        guard !pending.isEmpty else { return done(nil) }
        let remaining = Mutex((count: pending.count, failure: EventStoreError?.none))
        for object in pending {
            checkpointNow(object, nowMilliseconds: nowMilliseconds) { failure in
                let finished = remaining.withLock { state -> EventStoreError?? in
                    state.count -= 1
                    if state.failure == nil { state.failure = failure }
                    return state.count == 0 ? .some(state.failure) : .none
                }
                if let finished { done(finished) }
            }
        }
    }

    private func recount(_ object: LiveObject) {
        let bytes = object.estimatedBytes
        countedBytes += bytes - object.countedBytes
        object.countedBytes = bytes
        let rows = object.heldRows
        countedRows += rows - object.countedRows
        object.countedRows = rows
        if rows > 0 { holdingRows.insert(object.number) } else { holdingRows.remove(object.number) }
    }

    /// Past the budget (between batches), enough memory leaves to come back under 90% of it:
    /// first the rows held that are stored already (reads find them in storage), then the least
    /// recently used objects (at once when clean, else once their checkpoint is written); an
    /// object the last batch used stays, but is checkpointed now when its changes are what
    /// fills the budget, so that they can leave next.
    ///
    /// Its cost follows what leaves, not how many objects are live: objects holding rows and
    /// objects being evicted are kept in sets, the others in least-recently-used order.
    private func evictIfOverBudget(nowMilliseconds: Int64, used: [LiveObject] = []) {
        defer { publishStatistics() }
        guard countedBytes > configuration.bytesMax else { return }
        let target = configuration.bytesMax / 10 * 9
        for number in holdingRows {
            guard let object = objects[number], !object.isCheckpointing else { continue }
            let dropped = object.lock.withExclusive { object.views.reduce(false) { $1.dropStoredRows() || $0 } }
            if dropped { recount(object) }
        }
        var leaving = evicting.reduce(0) { $0 + (objects[$1]?.countedBytes ?? 0) }
        while countedBytes - leaving > target, let object = leastRecent, object.lastUsedBatch < batchNumber {
            unlink(object)
            if object.isClean, !object.isCheckpointing {
                remove(object.number)
                continue
            }
            leaving += object.countedBytes
            object.isEvicting = true
            evicting.insert(object.number)
            if !object.isCheckpointing { checkpoint(object, nowMilliseconds: nowMilliseconds) }
        }
        guard countedBytes - leaving > target else { return }
        for object in used where objects[object.number] === object && !object.isCheckpointing && !object.isClean {
            checkpoint(object, nowMilliseconds: nowMilliseconds)
        }
    }

    // MARK: - Readers

    /// The live object of the stream stored as `storageKey`, if it is live.
    func reader(_ storageKey: [UInt8]) -> LiveObject? { published.withLock { $0[storageKey] } }
}
