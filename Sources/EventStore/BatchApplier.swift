import EventModel
import LMDB

/// Applies the requests of one batch inside the writer's single transaction.
///
/// Each request is checked in full (idempotency, expected version) before anything of it is
/// written, so a request that fails its checks fails alone and leaves nothing behind; the
/// others in the batch go on. Any LMDB error is thrown and abandons the whole transaction.
struct BatchApplier {
    let transaction: WriteTransaction
    let layout: StoreLayout
    /// Counters as they will be if the transaction commits.
    var state: WriterState
    /// The commit time given to every event of the batch.
    let timeMilliseconds: Int64
    /// The object types with views and deciders.
    let objectTypes: [String: ObjectTypeDefinition]
    /// What this transaction knows of each stream it touched: its number, last run and head, so
    /// a stream appended to by many requests of the batch is looked up once.
    var known: [[UInt8]: (number: UInt64, lastRun: SeqRun?, head: Seq)] = [:]
    /// View states touched by the batch, written once before the commit.
    var views = ViewCache()
    /// The random bits of ids generated for decided events.
    var generator = SplitMix64(seed: UInt64.random(in: .min ... .max))

    init(transaction: WriteTransaction, layout: StoreLayout, state: WriterState, timeMilliseconds: Int64, objectTypes: [String: ObjectTypeDefinition]) {
        self.transaction = transaction
        self.layout = layout
        self.state = state
        self.timeMilliseconds = timeMilliseconds
        self.objectTypes = objectTypes
    }

    /// Appends `request`'s events (or the events its command decides), or says why not.
    mutating func apply(_ request: AppendRequest) throws -> Result<AppendOutcome, EventStoreError> {
        if let write = request.jobWrite { return try apply(write) }
        if let write = request.consumerWrite { return try apply(write) }
        if let write = request.logViewWrite { return try apply(write) }
        let storageKey = request.stream.storageKey
        var existing: UInt64?
        var lastRun: SeqRun?
        var head: Seq = 0
        if let cached = known[storageKey] {
            (existing, lastRun, head) = cached
        } else {
            existing = try layout.streamNumber(storageKey, in: transaction)
            lastRun = try existing.flatMap { try layout.lastRun(of: $0, in: transaction) }
            // A branch with no events of its own yet is at its fork seq.
            if let existing { head = try lastRun?.lastSeq ?? layout.lineage(of: existing, in: transaction).forkSeq }
        }
        if let answer = try replayedAnswer(for: request, stream: existing) { return answer }
        guard request.expectedVersion.isMet(byHead: head) else {
            guard case .exactly(let expected) = request.expectedVersion else { preconditionFailure("any is always met") }
            return .failure(.versionConflict(stream: request.stream, expected: expected, actual: head))
        }

        let definition = objectTypes[request.stream.object.type.name]
        var request = request
        var decidedView: AnyProjection?
        var merge: (mode: MergeMode, source: BranchName, roots: [EventID])?
        if !request.snapshotRepairs.isEmpty {
            try writeRepairs(request.snapshotRepairs)
            return .success(noChange(request.stream, head: head, state: nil))
        }
        switch request.branching {
        case .fork(let parent, let at):
            return try fork(request.stream, existing: existing, parent: parent, at: at, definition: definition)
        case .delete:
            return try deleteBranch(request.stream, existing: existing)
        case .deleteObject:
            return try deleteObject(request.stream)
        case .merge(let source):
            guard let existing else { return .failure(.branchNotFound(request.stream)) }
            switch try mergeRequest(into: request, target: existing, head: head, source: source, definition: definition) {
            case .failure(let error): return .failure(error)
            case .success(let planned):
                guard let planned else { return .success(noChange(request.stream, head: head, state: nil)) }
                request = planned.request
                merge = (planned.mode, source, planned.roots)
            }
        case nil:
            if existing == nil, request.stream.branch != .main { return .failure(.branchNotFound(request.stream)) }
        }
        if request.snapshotting {
            guard let existing else { return .failure(.branchNotFound(request.stream)) }
            guard let definition, !definition.views.isEmpty else {
                return .failure(.invalidRequest(field: "type", reason: "\(request.stream.object.type) has no views to snapshot"))
            }
            // At version 0 every view is its initial state, which needs no snapshot.
            guard head > 0 else { return .success(noChange(request.stream, head: head, state: nil)) }
            let writer = SnapshotWriter()
            for view in definition.views {
                let state = try views.state(of: view, stream: existing, head: head, layout: layout, transaction: transaction)
                try writer.write(
                    stream: existing, name: view.name, version: view.version, seq: head, state: state, layout: layout, transaction: transaction)
            }
            return .success(noChange(request.stream, head: head, state: nil))
        }
        if let timerId = request.firing {
            guard let existing, let definition, let handler = definition.timerHandler,
                let view = definition.views.first(where: { $0.name == handler.viewName }),
                let pending = try pendingTimer(stream: existing, timerId: timerId)
            else { return .success(noChange(request.stream, head: head, state: nil)) }
            let current = try views.state(of: view, stream: existing, head: head, layout: layout, transaction: transaction)
            let decided = handler.fire(
                timerId: timerId, payload: pending.payload, state: current, context: DecisionContext(nowMilliseconds: timeMilliseconds))
            request = try decidedRequest(request, [NewEvent(type: TimerEventType.fired, data: ["timerId": .string(timerId)])] + decided)
            decidedView = view
        } else if let command = request.command {
            guard let definition, let decider = definition.commands[command.name],
                let view = definition.views.first(where: { $0.name == decider.viewName })
            else { return .failure(.invalidRequest(field: "command", reason: "no decider for \(command.name)")) }
            let current = try existing.map { try views.state(of: view, stream: $0, head: head, layout: layout, transaction: transaction) }
                ?? view.initial()
            switch decider.decide(command.body, state: current, context: DecisionContext(nowMilliseconds: timeMilliseconds)) {
            case .failure(let rejection): return .failure(.rejected(rejection))
            case .success(let decided):
                guard !decided.isEmpty else { return .success(noChange(request.stream, head: head, state: current)) }
                request = try decidedRequest(request, decided)
                decidedView = view
            }
        }

        let stream = try existing ?? createStream(storageKey)
        let count = UInt64(request.eventCount)
        let firstPosition = state.nextPosition
        let firstSeq = head + 1
        for index in 0..<request.eventCount {
            let position = firstPosition + UInt64(index)
            let slot = request.events.slots[index]
            guard let id = slot.id else { preconditionFailure("event ids are assigned before queueing") }
            try request.events.withEvent(index) { type, payload in
                try StoreKeys.withKey(position) { key in
                    try transaction.reserve(
                        layout.log, key: key, count: EventRecord.size(typeCount: type.count, payloadCount: payload.count),
                        flags: .append
                    ) { record in
                        EventRecord.write(
                            into: record, stream: stream, seq: firstSeq + UInt64(index), timeMilliseconds: request.eventTimes.isEmpty ? timeMilliseconds : request.eventTimes[index],
                            id: id, type: type, payload: payload, isCompressed: slot.isCompressed,
                            dataLength: slot.dataLength, metadataLength: slot.metadataLength)
                    }
                }
            }
            var value = position.littleEndian
            try StoreKeys.withKey(id.high, id.low) { key in
                try withUnsafeBytes(of: &value) { try transaction.put(layout.ids, key: key, value: $0, flags: .noOverwrite) }
            }
        }
        known[storageKey] = (
            stream, try recordRun(stream: stream, lastRun: lastRun, firstSeq: firstSeq, firstPosition: firstPosition, count: count), head + count
        )
        try recordTimers(request, stream: stream)
        state.nextPosition += count
        var outcome = AppendOutcome(
            stream: request.stream, firstSeq: firstSeq, lastSeq: head + count, firstPosition: firstPosition,
            lastPosition: firstPosition + count - 1, timeMilliseconds: timeMilliseconds, isDuplicate: false)
        if let merge {
            try recordMerge(
                source: merge.source, into: request.stream, target: stream, firstSeq: firstSeq, mode: merge.mode,
                copies: zip(merge.roots, request.events.slots.map { $0.id! }).map { ($0, $1) })
            outcome.merge = merge.mode
        }
        if let definition, !definition.views.isEmpty {
            let recorded = try recordedEvents(request, firstSeq: firstSeq)
            for view in definition.views {
                let after = try views.fold(
                    view, stream: stream, head: head, events: recorded, snapshotInterval: view.snapshotIntervalEvents ?? definition.snapshotIntervalEvents,
                    layout: layout,
                    transaction: transaction)
                if view.name == decidedView?.name { outcome.viewState = after }
            }
            if decidedView != nil { outcome.events = recorded }
        } else if decidedView != nil {
            outcome.events = try recordedEvents(request, firstSeq: firstSeq)
        }
        return .success(outcome)
    }

    /// Extends the stream's last run when the new events follow it directly in the log,
    /// otherwise starts a new run; returns the run as stored.
    private func recordRun(stream: UInt64, lastRun: SeqRun?, firstSeq: Seq, firstPosition: Position, count: UInt64) throws -> SeqRun {
        var run = SeqRun(firstSeq: firstSeq, firstPosition: firstPosition, count: count)
        if let lastRun, lastRun.lastPosition + 1 == firstPosition, lastRun.count + count <= UInt64(UInt32.max) {
            run = SeqRun(firstSeq: lastRun.firstSeq, firstPosition: lastRun.firstPosition, count: lastRun.count + count)
        }
        try StoreKeys.withKey(stream, run.firstSeq) { key in
            try run.withValue { try transaction.put(layout.seqs, key: key, value: $0) }
        }
        return run
    }

    mutating func createStream(_ storageKey: [UInt8], parent: UInt64 = 0, forkSeq: Seq = 0) throws -> UInt64 {
        let stream = state.nextStream
        state.nextStream += 1
        let record = StreamRecord.encode(createdMilliseconds: timeMilliseconds, storageKey: storageKey, parent: parent, forkSeq: forkSeq)
        try StoreKeys.withKey(stream) { key in
            try record.withUnsafeBytes { try transaction.put(layout.streams, key: key, value: $0, flags: .append) }
        }
        var number = stream.littleEndian
        try storageKey.withUnsafeBytes { key in
            try withUnsafeBytes(of: &number) { try transaction.put(layout.streamNames, key: key, value: $0, flags: .noOverwrite) }
        }
        return stream
    }

    /// The answer to a request whose event ids were seen before: the original numbers when it
    /// is a retry of one earlier request, a conflict when only some ids (or ids of another
    /// object, or in another order) were; nil when every id is new.
    private func replayedAnswer(for request: AppendRequest, stream: UInt64?) throws -> Result<AppendOutcome, EventStoreError>? {
        var seen: [EventID] = []
        var first: (position: Position, seq: Seq, time: Int64)?
        var isRetry = stream != nil
        for (index, slot) in request.events.slots.enumerated() {
            // A generated id was made for this request: it cannot have been stored before (the
            // no-overwrite put of the id still catches the impossible).
            guard let id = slot.id, !slot.isGeneratedID else {
                isRetry = false
                continue
            }
            let found = try StoreKeys.withKey(id.high, id.low) { key in
                try transaction.get(layout.ids, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            }
            guard let position = found else {
                isRetry = false
                continue
            }
            seen.append(id)
            guard isRetry,
                let record = try StoreKeys.withKey(position, { try transaction.get(layout.log, key: $0) }),
                let (recordStream, seq) = EventRecord.streamAndSeq(record), recordStream == stream
            else {
                isRetry = false
                continue
            }
            if let first {
                if seq != first.seq + UInt64(index) || position != first.position + UInt64(index) { isRetry = false }
            } else if index == 0 {
                first = (position, seq, Int64(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int64.self)))
            } else {
                isRetry = false
            }
        }
        if seen.isEmpty { return nil }
        guard isRetry, seen.count == request.eventCount, let first else {
            return .failure(.eventIDConflict(stream: request.stream, ids: seen))
        }
        let count = UInt64(request.eventCount)
        return .success(
            AppendOutcome(
                stream: request.stream, firstSeq: first.seq, lastSeq: first.seq + count - 1, firstPosition: first.position,
                lastPosition: first.position + count - 1, timeMilliseconds: first.time, isDuplicate: true))
    }
}
