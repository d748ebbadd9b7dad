import EventModel
import LMDB

extension EventStore {
    /// Applies every object type's retention (``ObjectTypeDefinition/retention``) now: each
    /// object branch keeps the events its policy keeps (always its last one, every event a
    /// branch of it forked after, and every event a reaction or a cross-object view has not
    /// folded yet); the older ones are compacted behind the newest checkpoint
    /// before them at which every view of the branch has a snapshot (see
    /// ``RetentionHorizon``). Each branch is compacted in its own writer transaction, at most
    /// ``retentionCutEventsMax`` events at a time, so appends go on between; passes repeat until
    /// one compacts nothing. Views read the same after it; reads before the horizon answer
    /// ``EventStoreError/compacted(_:)``.
    public func applyRetention() async throws(EventStoreError) -> RetentionPass {
        var total = RetentionPass()
        while true {
            let cuts = try retentionCuts(nowMilliseconds: clock.nowMilliseconds())
            var pass = RetentionPass()
            for cut in cuts {
                let made = try await submit { .compact(cut, $0) }
                pass.streams += made.streams
                pass.events += made.events
                pass.checkpoints += made.checkpoints
            }
            total.streams += pass.streams
            total.events += pass.events
            total.checkpoints += pass.checkpoints
            guard pass.events > 0 else { return total }
        }
    }

    /// The most events one writer transaction compacts (a branch with more is compacted in
    /// steps, each at one of its checkpoints).
    public static let retentionCutEventsMax: UInt64 = 16_384

    /// The compaction each branch of a type with a retention policy is due, planned in one read.
    func retentionCuts(nowMilliseconds: Int64) throws(EventStoreError) -> [RetentionCut] {
        let retained = objectTypes.filter { $0.value.retention != nil }
        guard !retained.isEmpty else { return [] }
        // The engine's own readers of the log (reactions, paused ones too, and cross-object
        // views) must fold every event: nothing past the slowest of them is compacted.
        var floor = Position.max
        for reaction in reactions { floor = min(floor, try reactionPosition(reaction.name)) }
        for view in try logViewPositions() { floor = min(floor, view.position) }
        return try read { transaction in
            var candidates: [(number: UInt64, storageKey: [UInt8], object: ObjectKey, forkSeq: Seq)] = []
            var firstFork: [UInt64: Seq] = [:]
            try transaction.withCursor(layout.streams) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    defer { entry = try? cursor.next() }
                    guard current.value.count > StreamRecord.headerBytes else { continue }
                    let header = StreamRecord.header(current.value)
                    let parts = StreamRecord.nameParts(current.value)
                    guard (try? BranchName(String(decoding: parts.branch, as: UTF8.self))) != nil else { continue }  // a deleted branch
                    if header.parent != 0 { firstFork[header.parent] = min(firstFork[header.parent] ?? .max, header.forkSeq) }
                    guard let object = try? ObjectKey(storageName: parts.object), retained[object.type.name] != nil else { continue }
                    candidates.append((StoreKeys.integer(current.key), Array(current.value[StreamRecord.headerBytes...]), object, header.forkSeq))
                }
            }
            return try candidates.compactMap { candidate in
                guard let definition = retained[candidate.object.type.name], let policy = definition.retention else { return nil }
                return try retentionCut(
                    candidate.number, storageKey: candidate.storageKey, object: candidate.object, forkSeq: candidate.forkSeq,
                    branchedAt: firstFork[candidate.number], definition: definition, policy: policy, nowMilliseconds: nowMilliseconds, floor: floor,
                    in: transaction)
            }
        }
    }

    /// The cut due for one branch: its new horizon is the newest seq at which every view has a
    /// snapshot, past its current horizon and its fork seq, at or before the last event its
    /// policy lets go, its last event and the first fork seq of its branches, and committed at
    /// or before `floor` (the position the engine's slowest log reader has folded through).
    private func retentionCut(
        _ stream: UInt64, storageKey: [UInt8], object: ObjectKey, forkSeq: Seq, branchedAt: Seq?, definition: ObjectTypeDefinition,
        policy: RetentionPolicy, nowMilliseconds: Int64, floor: Position, in transaction: ReadTransaction
    ) throws -> RetentionCut? {
        guard let head = try layout.lastRun(of: stream, in: transaction)?.lastSeq else { return nil }
        let previous = try layout.horizon(of: stream, in: transaction)?.seq ?? 0
        let lower = max(previous, forkSeq)
        var limit = min(head - 1, branchedAt ?? .max)
        if let keep = policy.events { limit = min(limit, head > keep ? head - keep : 0) }
        if let period = policy.milliseconds {
            limit = min(limit, try lastSeq(of: stream, committedBefore: nowMilliseconds - period, after: lower, through: head, in: transaction))
        }
        guard limit > lower else { return nil }
        var seqs = try snapshotSeqs(of: definition.views.first, stream: stream, in: (lower + 1)...limit, transaction: transaction)
        for view in definition.views.dropFirst() {
            seqs = try seqs.filter { seq in
                try SnapshotKeys.withKey(stream: stream, name: view.name, seq: seq) { key in
                    guard let value = try transaction.get(layout.snapshots, key: key), value.count >= 4 else { return false }
                    return Int(UInt32(littleEndian: value.loadUnaligned(as: UInt32.self))) == view.version
                }
            }
        }
        if floor < .max { seqs = try seqs.filter { try position(of: $0, in: stream, transaction: transaction).map { $0 <= floor } ?? false } }
        // The newest within one transaction's reach, else the oldest (a long backlog goes in steps).
        guard let seq = seqs.first(where: { $0 - previous <= Self.retentionCutEventsMax }) ?? seqs.last else { return nil }
        var time: Int64 = 0
        try layout.forEachEvent(of: stream, from: seq, limit: 1, in: transaction) { time = $0.timeMilliseconds }
        return RetentionCut(
            stream: stream, storageKey: storageKey, object: object, previous: previous, horizon: RetentionHorizon(seq: seq, milliseconds: time))
    }

    /// The log position of `stream`'s event `seq` (from its run), if it holds it.
    private func position(of seq: Seq, in stream: UInt64, transaction: ReadTransaction) throws -> Position? {
        try transaction.withCursor(layout.seqs) { cursor in
            guard let entry = try StoreKeys.withKey(stream, seq, { try cursor.seek(atMost: $0) }), StoreKeys.integer(entry.key) == stream else { return nil }
            let run = SeqRun(key: entry.key, value: entry.value)
            return seq <= run.lastSeq ? run.firstPosition + (seq - run.firstSeq) : nil
        }
    }

    /// The seqs in `range`, newest first, at which `view` (at its version) has a snapshot of
    /// `stream`; every seq of it for a type with no views.
    private func snapshotSeqs(of view: AnyProjection?, stream: UInt64, in range: ClosedRange<Seq>, transaction: ReadTransaction) throws -> [Seq] {
        guard let view else { return [range.upperBound] }
        var seqs: [Seq] = []
        let prefixCount = 8 + view.name.utf8.count + 1
        try transaction.withCursor(layout.snapshots) { cursor in
            var entry = try SnapshotKeys.withKey(stream: stream, name: view.name, seq: range.upperBound) { try cursor.seek(atMost: $0) }
            let prefix = SnapshotKeys.withKey(stream: stream, name: view.name, seq: 0) { Array($0.prefix(prefixCount)) }
            while let current = entry, current.key.count == prefixCount + 8, current.key.prefix(prefixCount).elementsEqual(prefix) {
                let seq = StoreKeys.integer(current.key, at: prefixCount)
                guard seq >= range.lowerBound else { break }
                if current.value.count >= 4, Int(UInt32(littleEndian: current.value.loadUnaligned(as: UInt32.self))) == view.version {
                    seqs.append(seq)
                }
                entry = try cursor.previous()
            }
        }
        return seqs
    }

    /// The last seq of `stream` in `(after, through]` committed before `milliseconds` (`after`
    /// when none was): commit times never go backwards, so a binary search.
    private func lastSeq(of stream: UInt64, committedBefore milliseconds: Int64, after: Seq, through head: Seq, in transaction: ReadTransaction) throws -> Seq {
        var low = after
        var high = head
        while low < high {
            let middle = low + (high - low + 1) / 2
            var time = Int64.max
            try layout.forEachEvent(of: stream, from: middle, limit: 1, in: transaction) { time = $0.timeMilliseconds }
            if time < milliseconds { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
