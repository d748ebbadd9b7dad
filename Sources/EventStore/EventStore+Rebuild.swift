import EventModel
import LMDB
import Synchronization

extension EventStore {
    /// Stream numbers per rebuild chunk: one writer transaction stores a chunk's last
    /// checkpoints and marks it done.
    static let rebuildChunkStreams: UInt64 = 256
    /// Rows a rebuild worker gathers before it sends them on (a large object is checkpointed
    /// in several transactions, snapshots always after their rows).
    static let rebuildPendingRowsMax = 20_000
    /// Rows a rebuild worker folds in memory before it sends them and folds on from storage.
    static let rebuildHeldRowsMax = 200_000

    /// Starts a job that rebuilds `view` for every object of `type` (nil: of every type that
    /// has a view of that name), or returns the job already running for the same view and type.
    /// With `force`, objects whose stored state is current are folded again too. Run it with
    /// ``runRebuild(_:progress:)``.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` for a view no type has.
    public func startRebuild(view: String, type: String? = nil, jobs: Int = 2, force: Bool = false) async throws(EventStoreError) -> RebuildJob {
        guard !rebuildTargets(view: view, type: type).isEmpty else {
            let known = objectTypes.values.flatMap { definition in definition.views.map { "\(definition.name)/\($0.name)" } }.sorted()
            throw .invalidRequest(
                field: type == nil ? "view" : "type",
                reason: "\(type ?? view) has no view \(view) (views: \(known.joined(separator: ", ")))")
        }
        guard (1...64).contains(jobs) else { throw .invalidRequest(field: "jobs", reason: "must be 1 to 64, got \(jobs)") }
        let lastStream = try read { transaction in
            try transaction.withCursor(layout.streams) { try $0.last().map { StoreKeys.integer($0.key) } ?? 0 }
        }
        let template = RebuildJob(
            id: 0, view: view, type: type, versions: rebuildTargets(view: view, type: type).mapValues(\.view.version), jobs: jobs, force: force,
            chunksTotal: (lastStream + Self.rebuildChunkStreams - 1) / Self.rebuildChunkStreams, startedMilliseconds: clock.nowMilliseconds())
        return try await submit { .createJob(template, $0) }
    }

    /// Runs (or resumes) the rebuild job `id` with its number of workers until every chunk is
    /// done, calling `progress` after each chunk; marks it done, or failed with the error.
    /// Cancelling the task, or `progress` answering false, stops it between chunks, still
    /// running, to be resumed.
    public func runRebuild(_ id: UInt64, progress: @escaping @Sendable (RebuildJob) -> Bool = { _ in true }) async throws -> RebuildJob {
        guard let job = try rebuildJob(id) else { throw EventStoreError.invalidRequest(field: "id", reason: "there is no job \(id)") }
        guard job.state == .running else { return job }
        let targets = rebuildTargets(view: job.view, type: job.type)
        guard targets.mapValues(\.view.version) == job.versions else {
            try await submit { .job(.finish(job: id, state: .failed, message: "the view's version changed since the job started; start a new one"), $0) }
            return try rebuildJob(id) ?? job
        }
        let done = try read { transaction in
            var chunks = Set<UInt64>()
            try transaction.withCursor(layout.jobs) { cursor in
                var entry = try StoreKeys.withKey(id, 0) { try cursor.seek(atLeast: $0) }
                while let current = entry, current.key.count == 16, StoreKeys.integer(current.key) == id {
                    chunks.insert(StoreKeys.integer(current.key, at: 8))
                    entry = try cursor.next()
                }
            }
            return chunks
        }
        let next = ChunkCounter()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<job.jobs {
                    group.addTask {
                        while !Task.isCancelled {
                            guard let chunk = next.take(), chunk < job.chunksTotal else { return }
                            if done.contains(chunk) { continue }
                            try await self.rebuildChunk(chunk, job: id, targets: targets, force: job.force)
                            if let current = try self.rebuildJob(id), !progress(current) { next.stop() }
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            if !(error is CancellationError), !Task.isCancelled {
                let message = "\(error)"
                try? await submit { .job(.finish(job: id, state: .failed, message: message), $0) }
            }
            throw error
        }
        if Task.isCancelled || next.isStopped { return try rebuildJob(id) ?? job }
        try await submit { .job(.finish(job: id, state: .done, message: nil), $0) }
        let versions = targets.map { (type: $0.key, view: $0.value.view.name, version: $0.value.view.version) }
        try await submit { .job(.recordVersions(versions), $0) }
        return try rebuildJob(id) ?? job
    }

    /// The views whose stored states are of another version than the code's, by the version
    /// recorded when they were last rebuilt; a view with no record gets the code's version
    /// recorded (a new store, or one from before records were kept).
    public func viewsToRebuild() async throws(EventStoreError) -> [(type: String, view: String)] {
        var stale: [(type: String, view: String)] = []
        var unrecorded: [(type: String, view: String, version: Int)] = []
        for definition in objectTypes.values.sorted(by: { $0.name < $1.name }) {
            for view in definition.views {
                let recorded = try read { transaction in
                    try JobKeys.withVersionKey(type: definition.name, view: view.name) { key in
                        try transaction.get(layout.meta, key: key).map { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
                    }
                }
                if let recorded {
                    if recorded != view.version { stale.append((definition.name, view.name)) }
                } else {
                    unrecorded.append((definition.name, view.name, view.version))
                }
            }
        }
        if !unrecorded.isEmpty {
            let versions = unrecorded
            try await submit { .job(.recordVersions(versions), $0) }
        }
        return stale
    }

    /// The job `id`, if there is one.
    public func rebuildJob(_ id: UInt64) throws(EventStoreError) -> RebuildJob? {
        try read { try JobKeys.job(id, layout: layout, transaction: $0) }
    }

    /// Every rebuild job, oldest first.
    public func rebuildJobs() throws(EventStoreError) -> [RebuildJob] {
        try read { transaction in
            var jobs: [RebuildJob] = []
            try transaction.withCursor(layout.jobs) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    if current.key.count == 8, let job = RebuildJob(json: try JSONValue(parsing: current.value)) { jobs.append(job) }
                    entry = try cursor.next()
                }
            }
            return jobs
        }
    }

    /// The view of each object type the job rebuilds, by type name.
    private func rebuildTargets(view: String, type: String?) -> [String: (view: AnyProjection, interval: UInt64)] {
        var targets: [String: (view: AnyProjection, interval: UInt64)] = [:]
        for definition in objectTypes.values where type == nil || definition.name == type {
            if let projection = definition.views.first(where: { $0.name == view }) {
                let interval = projection.snapshotIntervalEvents ?? definition.snapshotIntervalEvents ?? configuration.snapshotIntervalEvents
                targets[definition.name] = (projection, max(1, interval))
            }
        }
        return targets
    }

    /// Rebuilds the view of every branch in `chunk` whose newest snapshot is not the view's
    /// version at its head (every branch, with `force`): folds it from its best snapshot (from
    /// its first event, with `force`) and checkpoints it every snapshot interval and at its
    /// head. The chunk's last checkpoints go with its done-mark.
    private func rebuildChunk(_ chunk: UInt64, job: UInt64, targets: [String: (view: AnyProjection, interval: UInt64)], force: Bool) async throws {
        let first = chunk * Self.rebuildChunkStreams + 1
        let candidates: [(number: UInt64, storageKey: [UInt8], view: AnyProjection, interval: UInt64)] = try read { transaction in
            var found: [(number: UInt64, storageKey: [UInt8], view: AnyProjection, interval: UInt64)] = []
            try transaction.withCursor(layout.streams) { cursor in
                var entry = try StoreKeys.withKey(first) { try cursor.seek(atLeast: $0) }
                while let current = entry, StoreKeys.integer(current.key) < first + Self.rebuildChunkStreams {
                    let number = StoreKeys.integer(current.key)
                    let storageKey = Array(current.value[StreamRecord.headerBytes...])
                    entry = try cursor.next()
                    // Every tenant's objects: a rebuild is the operator's, and changes nothing a tenant reads.
                    let typeName = storageKey.withUnsafeBytes { String(decoding: Tenant.split($0).rest.prefix { $0 != UInt8(ascii: "/") }, as: UTF8.self) }
                    guard let target = targets[typeName], try layout.streamNumber(storageKey, in: transaction) == number else { continue }
                    found.append((number, storageKey, target.view, target.interval))
                }
            }
            return found
        }
        var pending: [CheckpointWrite] = []
        var pendingRows = 0
        var objects: UInt64 = 0
        var events: UInt64 = 0
        for candidate in candidates {
            var fold: (any FoldedView)?
            var lineage: Lineage?
            var lastStop: Seq = 0
            var replaces = force
            var rebuilt = false
            while true {
                // Folds in one read transaction until the head, or until enough is pending to send.
                let finished: Bool = try read { transaction in
                    guard try layout.streamNumber(candidate.storageKey, in: transaction) == candidate.number else { return true }
                    let line = try layout.lineage(of: candidate.number, in: transaction)
                    let head = try layout.head(of: line, in: transaction)
                    lineage = line
                    let folder = ViewFolder(layout: layout)
                    if let fold {
                        fold.context.transaction = transaction
                    } else {
                        guard head > line.forkSeq else { return true }
                        let base = force ? nil : try folder.base(of: candidate.view, lineage: line, at: head, in: transaction).base
                        if let base, base.seq == head { return true }
                        let made = try ViewFolder.makeFold(candidate.view, lineage: line, base: base, layout: layout, context: RowReadContext(transaction))
                        fold = made
                        lastStop = made.seq
                    }
                    guard let fold else { return true }
                    rebuilt = true
                    while fold.seq < head {
                        let stop = min(head, (max(fold.seq, line.forkSeq) / candidate.interval + 1) * candidate.interval)
                        try folder.advance(fold, lineage: line, through: stop, in: transaction)
                        let rows = try fold.changedRows(since: lastStop)
                        let summary = try fold.summaryJSON()
                        var parts = try Checkpoints.parts(
                            stream: candidate.number, storageKey: candidate.storageKey, frozen: FrozenView(view: candidate.view, seq: stop) { (summary, rows) },
                            summary: summary, rows: rows, object: nil, chunkRows: live.configuration.checkpointChunkRowsMax,
                            chunkBytes: live.configuration.checkpointChunkBytesMax)
                        if replaces {
                            parts[0].replacesSnapshots = true
                            replaces = false
                        }
                        pending += parts
                        pendingRows += rows.count
                        events += stop - lastStop
                        lastStop = stop
                        if pendingRows >= Self.rebuildPendingRowsMax || fold.heldRows >= Self.rebuildHeldRowsMax { return false }
                    }
                    return true
                }
                if finished { break }
                // Sends what is pending, then folds on from the checkpoint just stored.
                for part in pending { try await submit { .checkpoint(part, $0) } }
                pending = []
                pendingRows = 0
                if let fold, let lineage {
                    fold.checkpointed(
                        at: lastStop, stored: StoredRows(layout: layout, lineage: lineage, view: candidate.view.name, version: candidate.view.version, bound: lastStop))
                }
            }
            if rebuilt { objects += 1 }
        }
        try await submit { .job(.installChunk(job: job, chunk: chunk, checkpoints: pending, objects: objects, events: events), $0) }
    }
}

/// Hands out chunk numbers to a rebuild's workers, each once, until stopped.
private final class ChunkCounter: Sendable {
    private let next = Mutex<(chunk: UInt64, stopped: Bool)>((0, false))

    /// The next chunk to fold; nil once stopped.
    func take() -> UInt64? {
        next.withLock { state in
            guard !state.stopped else { return nil }
            defer { state.chunk += 1 }
            return state.chunk
        }
    }

    /// Hands out no more chunks.
    func stop() { next.withLock { $0.stopped = true } }

    var isStopped: Bool { next.withLock { $0.stopped } }
}
