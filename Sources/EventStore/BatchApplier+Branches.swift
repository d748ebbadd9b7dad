import EventModel
import LMDB

extension BatchApplier {
    /// Creates `stream` as a branch of `parent` at seq `at` (nil: the parent's head). Nothing of
    /// the parent's history is copied; the timers pending at the fork seq are, since they belong
    /// to the branch's past too.
    mutating func fork(
        _ stream: StreamName, existing: UInt64?, parent: BranchName, at: Seq?, definition: ObjectTypeDefinition?
    ) throws -> Result<AppendOutcome, EventStoreError> {
        guard stream.branch != .main else {
            return .failure(.invalidRequest(field: "name", reason: "is main, the branch every object starts with; choose another name"))
        }
        guard existing == nil else { return .failure(.branchExists(stream)) }
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
        let number = try createStream(stream.storageKey, parent: parentNumber, forkSeq: forkSeq)
        known[stream.storageKey] = (number, nil, forkSeq)
        if definition?.timerHandler != nil, forkSeq > 0 {
            let lineage = try layout.lineage(of: number, in: transaction)
            let pending = try ViewFolder(layout: layout).state(of: PendingTimers.projection, lineage: lineage, at: forkSeq, in: transaction)
            if case .object(let timers) = pending.state {
                for (timerId, timer) in timers.sorted(by: { $0.key < $1.key }) {
                    guard let dueAt = timer["dueAt"]?.integerValue else { continue }
                    try storeTimer(stream: number, timerId: timerId, dueAt: Int64(dueAt), payload: timer["payload"] ?? [:])
                }
            }
        }
        return .success(noChange(stream, head: forkSeq, state: nil))
    }

    /// Deletes the branch `stream`: its name, index, views, snapshots and timers. Its events stay
    /// in the global log (positions are never reused) and their ids stay taken.
    mutating func deleteBranch(_ stream: StreamName, existing: UInt64?) throws -> Result<AppendOutcome, EventStoreError> {
        guard stream.branch != .main else {
            return .failure(.invalidRequest(field: "name", reason: "is main, which cannot be deleted"))
        }
        guard let existing else { return .failure(.branchNotFound(stream)) }
        let children = try layout.branches(of: stream.object, in: transaction).filter { $0.parent == existing }.map(\.name)
        guard children.isEmpty else { return .failure(.branchHasChildren(stream, children: children)) }
        try removeStream(existing, storageKey: stream.storageKey)
        return .success(noChange(stream, head: 0, state: nil))
    }

    /// Deletes every branch of `object`, `main` too, and frees the ids of their events, so an
    /// archive of the object can be imported in its place.
    mutating func deleteObject(_ stream: StreamName) throws -> Result<AppendOutcome, EventStoreError> {
        let branches = try layout.branches(of: stream.object, in: transaction)
        guard !branches.isEmpty else { return .failure(.branchNotFound(StreamName(object: stream.object))) }
        for branch in branches {
            var ids: [EventID] = []
            try layout.forEachEvent(of: branch.number, from: branch.forkSeq + 1, limit: .max, in: transaction) { ids.append($0.id) }
            for id in ids { _ = try StoreKeys.withKey(id.high, id.low) { try transaction.delete(layout.ids, key: $0) } }
            try removeStream(branch.number, storageKey: StreamName(object: stream.object, branch: try BranchName(branch.name)).storageKey)
        }
        return .success(noChange(stream, head: 0, state: nil))
    }

    /// Removes a stream's name, index, views, snapshots and timers. Its events stay in the log,
    /// named there `BRANCH~deleted` (`~` is never in a branch name), so a branch created later
    /// with the same name is never mistaken for it.
    private mutating func removeStream(_ number: UInt64, storageKey: [UInt8]) throws {
        _ = try storageKey.withUnsafeBytes { try transaction.delete(layout.streamNames, key: $0) }
        if let record = try StoreKeys.withKey(number, { try transaction.get(layout.streams, key: $0).map(Array.init) }) {
            let renamed = record + Array(StreamRecord.deletedSuffix.utf8)
            try StoreKeys.withKey(number) { key in try renamed.withUnsafeBytes { try transaction.put(layout.streams, key: key, value: $0) } }
        }
        for database in [layout.seqs, layout.views, layout.snapshots] {
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
        views.forget(stream: number)
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

    /// The request that appends to `target` (at `head`) what branch `source` has that it does
    /// not, and how: nil when there is nothing to bring; a failure naming the first event after
    /// which an invariant breaks when the events must be replayed on a target that moved.
    mutating func mergeRequest(
        into request: AppendRequest, target: UInt64, head: Seq, source: BranchName, definition: ObjectTypeDefinition?
    ) throws -> Result<(request: AppendRequest, mode: MergeMode, originals: [EventID])?, EventStoreError> {
        let sourceStream = StreamName(object: request.stream.object, branch: source)
        guard source != request.stream.branch else {
            return .failure(.invalidRequest(field: "into", reason: "is the branch being merged; name another branch"))
        }
        guard let sourceNumber = try layout.streamNumber(sourceStream.storageKey, in: transaction) else {
            return .failure(.branchNotFound(sourceStream))
        }
        let sourceLineage = try layout.lineage(of: sourceNumber, in: transaction)
        let targetLineage = try layout.lineage(of: target, in: transaction)
        let sourceHead = try layout.head(of: sourceLineage, in: transaction)
        var base = sourceLineage.commonAncestorSeq(with: targetLineage, heads: (sourceHead, head))
        var targetAtBase = base
        if let previous = try mergeRecord(source: sourceNumber, target: target), previous.sourceSeq > base {
            (base, targetAtBase) = previous
        }
        guard sourceHead > base else { return .success(nil) }

        var events: [RecordedEvent] = []
        var batch = EventBatch(limits: .unbounded)
        var skipped = false
        try layout.forEachEvent(of: sourceLineage, from: base + 1, limit: Int(clamping: sourceHead - base), in: transaction) { event in
            // What the target holds already: an event copied into it by an earlier merge, or a
            // copy of one of the target's own events.
            if try MergeKeys.wasCopied(event.id, into: target, layout: layout, transaction: transaction)
                || MergeKeys.isCopy(event.id, ofAnEventIn: targetLineage, head: head, layout: layout, transaction: transaction)
            {
                skipped = true
                return
            }
            try batch.add(id: EventID.version7(milliseconds: timeMilliseconds, using: &generator), type: event.type, data: event.data, metadata: event.metadata)
            events.append(try RecordedEvent(event))
        }
        guard !events.isEmpty else { return .success(nil) }
        let mode: MergeMode = head == targetAtBase && !skipped ? .fastForward : .replayed
        if mode == .replayed, let definition, !definition.invariants.isEmpty {
            for view in definition.views where definition.invariants.contains(where: { $0.viewName == view.name }) {
                var state = try views.state(of: view, stream: target, head: head, layout: layout, transaction: transaction)
                for event in events {
                    state = try view.fold(state, [event])
                    if let broken = definition.invariants.first(where: { $0.viewName == view.name && !$0.holds(state) }) {
                        return .failure(
                            .invariantBroken(
                                InvariantBreach(
                                    stream: sourceStream, seq: event.seq, eventID: event.id, eventType: event.type, invariant: broken.name,
                                    summary: broken.summary)))
                    }
                }
            }
        }
        for index in batch.slots.indices { batch.slots[index].isGeneratedID = true }
        return .success((AppendRequest(stream: request.stream, expectedVersion: .any, events: batch, data: events.map(\.data)), mode, events.map(\.id)))
    }

    /// Remembers that `target` now holds `source`'s events up to its head, so the next merge of
    /// the two brings only what came after (after a fast-forward, the other way too: the two
    /// are then equal), and which event each copy was made from.
    func recordMerge(
        source: BranchName, into target: StreamName, target number: UInt64, targetHead: Seq, mode: MergeMode, copies: [(original: EventID, copy: EventID)]
    ) throws {
        let sourceStream = StreamName(object: target.object, branch: source)
        guard let sourceNumber = try layout.streamNumber(sourceStream.storageKey, in: transaction) else { return }
        let sourceHead = try layout.head(of: sourceNumber, in: transaction)
        try putMergeRecord(source: sourceNumber, target: number, sourceSeq: sourceHead, targetHead: targetHead)
        if mode == .fastForward { try putMergeRecord(source: number, target: sourceNumber, sourceSeq: targetHead, targetHead: sourceHead) }
        for (original, copy) in copies { try MergeKeys.recordCopy(original, as: copy, into: number, layout: layout, transaction: transaction) }
    }

    private func putMergeRecord(source: UInt64, target: UInt64, sourceSeq: Seq, targetHead: Seq) throws {
        var value = (sourceSeq.littleEndian, targetHead.littleEndian)
        try Self.withMergeKey(source: source, target: target) { key in
            try withUnsafeBytes(of: &value) { try transaction.put(layout.meta, key: key, value: $0) }
        }
    }

    private func mergeRecord(source: UInt64, target: UInt64) throws -> (sourceSeq: Seq, targetHead: Seq)? {
        try Self.withMergeKey(source: source, target: target) { key in
            guard let value = try transaction.get(layout.meta, key: key), value.count == 16 else { return nil }
            return (
                UInt64(littleEndian: value.loadUnaligned(as: UInt64.self)), UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }

    /// `meta` key of a merge record: `merge` + target (8, BE) + source (8, BE).
    private static func withMergeKey<R>(source: UInt64, target: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = Array("merge".utf8)
        withUnsafeBytes(of: target.bigEndian) { key.append(contentsOf: $0) }
        withUnsafeBytes(of: source.bigEndian) { key.append(contentsOf: $0) }
        return try key.withUnsafeBytes(body)
    }

    /// Writes snapshots a reader folded again.
    func writeRepairs(_ repairs: [SnapshotRepair]) throws {
        let writer = SnapshotWriter()
        for repair in repairs {
            try writer.write(
                stream: repair.stream, name: repair.viewName, version: repair.version, seq: repair.seq, state: repair.state, layout: layout,
                transaction: transaction)
        }
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
