import EventModel
import LMDB

extension BatchApplier {
    /// Creates `stream` as a branch of `parent` at seq `at` (nil: the parent's head). Nothing of
    /// the parent's history is copied; the timers pending at the fork seq are, since they belong
    /// to the branch's past too.
    mutating func fork(_ stream: StreamName, parent: BranchName, at: Seq?) throws -> Result<BranchInfo, EventStoreError> {
        guard stream.branch != .main else {
            return .failure(.invalidRequest(field: "name", reason: "is main, the branch every object starts with; choose another name"))
        }
        guard try place(of: stream).number == nil else { return .failure(.branchExists(stream)) }
        let definition = objectTypes[stream.object.type.name]
        let parentStream = StreamName(object: stream.object, branch: parent)
        guard let parentNumber = try layout.streamNumber(parentStream.storageKey, in: transaction) else {
            return .failure(.branchNotFound(parentStream))
        }
        let parentLineage = try layout.lineage(of: parentNumber, in: transaction)
        guard parentLineage.segments.count < StreamRecord.depthMax else {
            return .failure(.invalidRequest(field: "from", reason: "\(parentStream) is \(StreamRecord.depthMax - 1) forks deep, the most there may be"))
        }
        let parentHead = try layout.head(of: parentLineage, in: transaction)
        let forkSeq = at ?? parentHead
        guard forkSeq <= parentHead else {
            return .failure(.invalidRequest(field: "at", reason: "is \(forkSeq), beyond the head of \(parentStream) (\(parentHead))"))
        }
        // Below the horizon the parent's events are gone: a branch there could not be read.
        if let horizon = parentLineage.horizon, forkSeq > 0, forkSeq < horizon.seq { return .failure(.compacted(horizon)) }
        let number = try createStream(stream.storageKey, parent: parentNumber, forkSeq: forkSeq)
        known[stream.storageKey] = StreamPlace(number: number, lastRun: nil, head: forkSeq)
        if definition?.timerHandler != nil, forkSeq > 0 {
            let lineage = try layout.lineage(of: number, in: transaction)
            let pending = try ViewFolder(layout: layout).fold(
                PendingTimers.projection, lineage: lineage, at: forkSeq, context: RowReadContext(transaction), in: transaction)
            var after: String?
            while true {
                let page = try pending.fold.rows(RowQuery(.prefix(""), after: after, limit: 4_096), in: transaction)
                for row in page.rows {
                    let timer = try row.json.withUnsafeBytes { try JSONValue(parsing: $0) }
                    guard let dueAt = timer["dueAt"]?.integerValue else { continue }
                    try storeTimer(stream: number, timerId: row.key, dueAt: Int64(dueAt), payload: timer["payload"] ?? [:])
                }
                guard let next = page.next else { break }
                after = next
            }
        }
        return .success(BranchInfo(name: stream.branch, parent: parent, forkSeq: forkSeq, head: forkSeq, createdMilliseconds: timeMilliseconds))
    }

    /// Deletes the branch `stream`: its name, index, views, snapshots and timers. Its events stay
    /// in the global log (positions are never reused) and their ids stay taken.
    mutating func deleteBranch(_ stream: StreamName, expectedVersion: ExpectedVersion) throws -> Result<Void, EventStoreError> {
        guard stream.branch != .main else {
            return .failure(.invalidRequest(field: "name", reason: "is main, which cannot be deleted"))
        }
        let place = try place(of: stream)
        guard let existing = place.number else { return .failure(.branchNotFound(stream)) }
        if let conflict = versionConflict(stream, expectedVersion, at: place) { return .failure(conflict) }
        let children = try layout.branches(of: stream.object, in: transaction).filter { $0.parent == existing }.map(\.name)
        guard children.isEmpty else { return .failure(.branchHasChildren(stream, children: children)) }
        try removeStream(existing, storageKey: stream.storageKey)
        return .success(())
    }

    /// Deletes every branch of `object`, `main` too, and frees the ids of their events (and
    /// forgets which were copies), so an archive of the object can be imported in its place.
    mutating func deleteObject(_ object: ObjectKey) throws -> Result<Void, EventStoreError> {
        let branches = try layout.branches(of: object, in: transaction)
        guard !branches.isEmpty else { return .failure(.branchNotFound(StreamName(object: object))) }
        let ledger = MergeLedger(layout: layout)
        for branch in branches {
            var ids: [EventID] = []
            let first = max(branch.forkSeq, try layout.horizon(of: branch.number, in: transaction)?.seq ?? 0) + 1
            try layout.forEachEvent(of: branch.number, from: first, limit: .max, in: transaction) { ids.append($0.id) }
            for id in ids {
                try ledger.forgetCopy(id, stream: branch.number, in: transaction)
                _ = try StoreKeys.withIDKey(id, tenant: object.tenant) { try transaction.delete(layout.ids, key: $0) }
            }
            try removeStream(branch.number, storageKey: StreamName(object: object, branch: try BranchName(branch.name)).storageKey)
        }
        return .success(())
    }

    /// Removes a stream's name, index, views, snapshots and timers. Its events stay in the log,
    /// named there `BRANCH~deleted` (`~` is never in a branch name), so a branch created later
    /// with the same name is never mistaken for it.
    private mutating func removeStream(_ number: UInt64, storageKey: [UInt8]) throws {
        if try storageKey.withUnsafeBytes({ try transaction.delete(layout.streamNames, key: $0) }) {
            try layout.countObject(storageKey, by: -1, in: transaction)
        }
        if let record = try StoreKeys.withKey(number, { try transaction.get(layout.streams, key: $0).map(Array.init) }) {
            let renamed = record + Array(StreamName.deletedSuffix.utf8)
            try StoreKeys.withKey(number) { key in try renamed.withUnsafeBytes { try transaction.put(layout.streams, key: key, value: $0) } }
        }
        for database in [layout.seqs, layout.views, layout.snapshots, layout.rows, layout.horizons] {
            try deleteAll(in: database, prefix: number)
        }
        var timerIds: [String] = []
        try transaction.withCursor(layout.timerIDs) { cursor in
            var entry = try StoreKeys.withKey(number) { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.count >= 8, StoreKeys.integer(current.key) == number {
                timerIds.append(String(decoding: current.key[8...], as: UTF8.self))
                entry = try cursor.next()
            }
        }
        for timerId in timerIds { try removeTimer(stream: number, timerId: timerId) }
        known[storageKey] = nil
        live.remove(number)
    }

    /// Deletes every entry of `database` whose key starts with the stream number `stream`.
    private func deleteAll(in database: Database, prefix stream: UInt64) throws {
        var keys: [[UInt8]] = []
        try transaction.withCursor(database) { cursor in
            var entry = try StoreKeys.withKey(stream) { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.count >= 8, StoreKeys.integer(current.key) == stream {
                keys.append(Array(current.key))
                entry = try cursor.next()
            }
        }
        for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(database, key: $0) } }
    }

    /// Brings into `target` what branch `source` has that it does not (see
    /// ``mergeRequest(into:target:at:source:definition:)``), and remembers what it brought.
    mutating func merge(_ source: BranchName, into target: StreamName, expectedVersion: ExpectedVersion) throws -> Result<MergeOutcome, EventStoreError> {
        let place = try place(of: target)
        guard let number = place.number else { return .failure(.branchNotFound(target)) }
        if let conflict = versionConflict(target, expectedVersion, at: place) { return .failure(conflict) }
        let definition = objectTypes[target.object.type.name]
        let planned: Result<PlannedMerge?, EventStoreError>
        do {
            planned = try mergeRequest(into: target, target: number, at: place, source: source, definition: definition)
        } catch EventStoreError.compacted(let horizon) {
            // The branches parted before a retention horizon: what one has is gone.
            return .failure(.compacted(horizon))
        }
        switch planned {
        case .failure(let error):
            return .failure(error)
        case .success(nil):
            return .success(MergeOutcome(target: target, mode: nil, events: 0, version: place.head))
        case .success(let planned?):
            let written = try write(planned.request, at: place, definition: definition)
            try recordMerge(
                source: source, into: target, target: number, firstSeq: written.outcome.firstSeq, mode: planned.mode,
                copies: zip(planned.roots, planned.request.events.slots.map { $0.id! }).map { ($0, $1) })
            return .success(MergeOutcome(target: target, mode: planned.mode, events: planned.request.eventCount, version: written.outcome.lastSeq))
        }
    }

    /// Plans the merge of branch `source` into `target` (at `head`): the request that appends
    /// copies of the source's events whose roots the target does not hold (see ``MergeLedger``),
    /// in the source's order, and how. Nil when the target holds them all. A failure names the
    /// first event after which an invariant of the object type would break: invariants are
    /// checked on every merge, fast-forward or not, from the target's state.
    ///
    /// The source is read from the seq where the two lines part, or from the source's head at
    /// their last merge if that is further (everything up to it is held already), so a merge
    /// costs O(events it reads), never O(history).
    private mutating func mergeRequest(
        into stream: StreamName, target: UInt64, at place: StreamPlace, source: BranchName, definition: ObjectTypeDefinition?
    ) throws -> Result<PlannedMerge?, EventStoreError> {
        let head = place.head
        let sourceStream = StreamName(object: stream.object, branch: source)
        guard source != stream.branch else {
            return .failure(.invalidRequest(field: "into", reason: "is the branch being merged; name another branch"))
        }
        guard let sourceNumber = try layout.streamNumber(sourceStream.storageKey, in: transaction) else {
            return .failure(.branchNotFound(sourceStream))
        }
        let ledger = MergeLedger(layout: layout, tenant: stream.object.tenant)
        let sourceLineage = try layout.lineage(of: sourceNumber, in: transaction)
        let targetLineage = try layout.lineage(of: target, in: transaction)
        let sourceHead = try layout.head(of: sourceLineage, in: transaction)
        let base = sourceLineage.commonAncestorSeq(with: targetLineage, heads: (sourceHead, head))
        // Which events one line holds of the other is known from their ids and records: past
        // a horizon beyond the common ancestor, some of those are gone.
        for horizon in [sourceLineage.horizon, targetLineage.horizon].compactMap(\.self) where horizon.seq > base {
            return .failure(.compacted(horizon))
        }
        let previous = try ledger.record(source: sourceNumber, target: target, in: transaction)
        let start = max(base, previous?.sourceSeq ?? 0)
        guard sourceHead > start else { return .success(nil) }

        var events: [RecordedEvent] = []
        var roots: [EventID] = []
        var batch = EventBatch(limits: .unbounded)
        var skipped = false
        try layout.forEachEvent(of: sourceLineage, from: start + 1, limit: Int(clamping: sourceHead - start), in: transaction) { event in
            let root = try ledger.root(of: event.id, in: transaction)
            if try ledger.holds(root, lineage: targetLineage, head: head, in: transaction) {
                skipped = true
                return
            }
            try batch.add(id: EventID.version7(milliseconds: timeMilliseconds, using: &generator), type: event.type, data: event.data, metadata: event.metadata)
            events.append(try RecordedEvent(event))
            roots.append(root)
        }
        guard !events.isEmpty else { return .success(nil) }
        // The target's line matches the source's up to where the read started: the two had not
        // parted (it is at the common ancestor), or the last merge was a fast-forward and the
        // target has not moved since. Bringing every event read then gives the source's line.
        let targetMatchesSource =
            (start == base && head == base)
            || (previous.map { $0.isEquivalent && $0.targetHead == head && $0.sourceSeq == start } ?? false)
        let mode: MergeMode = targetMatchesSource && !skipped ? .fastForward : .replayed
        if let definition, let breach = try firstBreach(of: definition, target: stream, at: place, events: events, source: sourceStream) {
            return .failure(.invariantBroken(breach))
        }
        for index in batch.slots.indices { batch.slots[index].isGeneratedID = true }
        return .success(
            PlannedMerge(
                request: AppendRequest(stream: stream, expectedVersion: .any, events: batch, data: events.map(\.data)), mode: mode,
                roots: roots))
    }

    /// The first of `events` after which an invariant of `definition` stops holding when they
    /// are folded, in order, onto a scratch copy of `target`'s state at `head`; nil when every
    /// one holds after each.
    private mutating func firstBreach(
        of definition: ObjectTypeDefinition, target: StreamName, at place: StreamPlace, events: [RecordedEvent], source: StreamName
    ) throws -> InvariantBreach? {
        guard let object = try liveObject(target, at: place) else { return nil }
        for view in definition.views {
            let invariants = definition.invariants.filter { $0.viewName == view.name }
            guard !invariants.isEmpty, let live = object.view(view.name) else { continue }
            let scratch = live.scratch()
            for event in events {
                scratch.fold(event)
                try scratch.check()
                let state = scratch.stateValue
                if let broken = invariants.first(where: { !$0.holds(state) }) {
                    return InvariantBreach(
                        stream: source, seq: event.seq, eventID: event.id, eventType: event.type, invariant: broken.name, summary: broken.summary)
                }
            }
        }
        return nil
    }

    /// Remembers what the merge of `source` into `target` brought: the root of each copy and
    /// where it is held (copies are appended from `firstSeq` on, in order), and the merge record,
    /// so the next merge of the two reads only what came after. After a fast-forward the two
    /// lines hold the same roots in the same order, which is recorded both ways.
    private func recordMerge(source: BranchName, into target: StreamName, target number: UInt64, firstSeq: Seq, mode: MergeMode, copies: [(root: EventID, copy: EventID)]) throws {
        let ledger = MergeLedger(layout: layout, tenant: target.object.tenant)
        for (index, copy) in copies.enumerated() {
            try ledger.recordCopy(of: copy.root, as: copy.copy, stream: number, seq: firstSeq + UInt64(index), in: transaction)
        }
        let sourceStream = StreamName(object: target.object, branch: source)
        guard let sourceNumber = try layout.streamNumber(sourceStream.storageKey, in: transaction) else { return }
        let sourceHead = try layout.head(of: sourceNumber, in: transaction)
        let targetHead = firstSeq + UInt64(copies.count) - 1
        try ledger.put(MergeRecord(sourceSeq: sourceHead, targetHead: targetHead, isEquivalent: mode == .fastForward), source: sourceNumber, target: number, in: transaction)
        if mode == .fastForward {
            try ledger.put(MergeRecord(sourceSeq: targetHead, targetHead: sourceHead, isEquivalent: true), source: number, target: sourceNumber, in: transaction)
        }
    }

    /// Writes snapshots a reader folded again.
    func writeRepairs(_ repairs: [SnapshotRepair]) throws -> Result<Void, EventStoreError> {
        let writer = SnapshotWriter()
        for repair in repairs {
            try writer.write(
                stream: repair.stream, name: repair.viewName, version: repair.version, seq: repair.seq, summary: repair.summary, layout: layout,
                transaction: transaction)
        }
        return .success(())
    }
}

extension AppendLimits {
    /// No limits: for events the engine copies (a merge), which were held to the limits once.
    static var unbounded: AppendLimits {
        var limits = AppendLimits()
        limits.eventBytesMax = .max
        limits.requestBytesMax = .max
        limits.eventsPerRequestMax = .max
        return limits
    }
}

/// A merge the writer is about to append: the copies, how they come in, and the root of each.
struct PlannedMerge {
    let request: AppendRequest
    let mode: MergeMode
    let roots: [EventID]
}
