import EventModel
import LMDB
import Sealing
import Zstd

/// Applies the requests of one batch inside the writer's single transaction.
///
/// Each request is checked in full (idempotency, expected version) before anything of it is
/// written, so a request that fails its checks fails alone and leaves nothing behind; the
/// others in the batch go on. Any LMDB error is thrown and abandons the whole transaction.
/// Events are folded into the live objects' working states as they are written; the states are
/// published once the batch is durable (``LiveObjects/batchCommitted(nowMilliseconds:)``).
struct BatchApplier {
    let transaction: WriteTransaction
    let layout: StoreLayout
    /// Counters as they will be if the transaction commits.
    var state: WriterState
    /// The commit time given to every event of the batch.
    let timeMilliseconds: Int64
    /// The object types with views and deciders.
    let objectTypes: [String: ObjectTypeDefinition]
    /// The answers remembered for idempotency keys.
    let idempotency: IdempotencyLedger
    /// The objects kept live, whose views the batch folds into.
    let live: LiveObjects
    /// What this transaction knows of each stream it touched: its number, last run and head, so
    /// a stream appended to by many requests of the batch is looked up once.
    var known: [[UInt8]: StreamPlace] = [:]
    /// The random bits of ids generated for decided events.
    var generator = SplitMix64(seed: UInt64.random(in: .min ... .max))
    /// What runs once the batch is durable (never if it fails), in order: checkpoints started,
    /// live views told their checkpoint is stored.
    var afterCommit: [() -> Void] = []
    /// Compresses decided events past the store's threshold (appends come compressed).
    let compression: (compressor: ZstdCompressor, thresholdBytes: Int)
    /// The bytes of event records the batch appended, by tenant: added to each tenant's total
    /// (``EventStore/appendedBytes(of:)``) once, at the batch's end.
    var tenantBytes: [Tenant: UInt64] = [:]
    /// Seals objects' events and checkpoints, when the store does: the key ring and the
    /// writer's cipher context.
    let sealing: (ring: ObjectKeyRing, context: AESGCM)?
    /// Data keys this transaction made, cached by the ring once it commits.
    var madeKeys: [[UInt8]: [UInt8]] = [:]

    init(
        transaction: WriteTransaction, layout: StoreLayout, state: WriterState, timeMilliseconds: Int64, objectTypes: [String: ObjectTypeDefinition],
        idempotencyWindowMilliseconds: Int64, live: LiveObjects, compression: (compressor: ZstdCompressor, thresholdBytes: Int),
        sealing: (ring: ObjectKeyRing, context: AESGCM)? = nil
    ) {
        self.compression = compression
        self.sealing = sealing
        self.transaction = transaction
        self.layout = layout
        self.state = state
        self.timeMilliseconds = timeMilliseconds
        self.objectTypes = objectTypes
        self.idempotency = IdempotencyLedger(layout: layout, windowMilliseconds: idempotencyWindowMilliseconds)
        self.live = live
    }

    /// Makes `command`'s write, or finds why not; the answer is delivered once the batch is
    /// committed (or, for a checkpoint asked for, once it is written). A refusal leaves nothing
    /// of the command behind.
    mutating func apply(_ command: WriterCommand) throws -> WriterCompletion {
        switch command {
        case .append(let request, let reply): return reply.completion(try append(request))
        case .command(let request, let reply): return reply.completion(try run(request))
        case .fireTimer(let stream, let timerId, let reply): return reply.completion(try fire(timerId, of: stream))
        case .snapshot(let stream, let reply): return try snapshot(stream, reply: reply)
        case .repairSnapshots(_, let repairs, let reply): return reply.completion(try writeRepairs(repairs))
        case .fork(let stream, let parent, let at, let reply): return reply.completion(try fork(stream, parent: parent, at: at))
        case .deleteBranch(let stream, let expectedVersion, let reply): return reply.completion(try deleteBranch(stream, expectedVersion: expectedVersion))
        case .deleteObject(let object, let reply): return reply.completion(try deleteObject(object))
        case .erase(let object, let tombstone, let reply): return reply.completion(try erase(object, tombstone: tombstone))
        case .compact(let cut, let reply): return reply.completion(try compact(cut))
        case .merge(let target, let expectedVersion, let source, let reply):
            return reply.completion(try merge(source, into: target, expectedVersion: expectedVersion))
        case .putConsumer(let name, let filter, let start, let reply): return reply.completion(try putConsumer(name, filter: filter, start: start))
        case .acknowledge(let name, let tenant, let position, let reply): return reply.completion(try acknowledge(name, tenant: tenant, position: position))
        case .react(let step, let reply): return reply.completion(try react(step))
        case .pauseReaction(let name, let paused, let reply): return reply.completion(try pauseReaction(name, paused: paused))
        case .consumer(let write, let reply): return reply.completion(try apply(write))
        case .createJob(let job, let reply): return reply.completion(try createJob(job))
        case .job(let write, let reply): return reply.completion(try apply(write))
        case .storeLogView(let write, let reply): return reply.completion(try apply(write))
        case .resetLogView(let view, let reply): return reply.completion(try reset(view))
        case .checkpoint(let write, let reply): return reply.completion(try apply(write))
        case .checkpointEnded(let job, let snapshots, let failure, let reply):
            for snapshot in snapshots { _ = try apply(snapshot) }
            let live = live
            afterCommit.append {
                live.finishCheckpoint(job.object, failed: failure == nil ? nil : job)
                live.checkpoints.ended(job, failure: failure)
            }
            return reply.completion(.success(()))
        case .checkpointAll(let reply):
            let (live, now) = (live, timeMilliseconds)
            afterCommit.append {
                live.checkpointAll(nowMilliseconds: now) { failure in reply.continuation.resume(returning: failure.map { .failure($0) } ?? .success(())) }
            }
            return WriterCompletion {}
        }
    }

    /// Where `stream` stands in this transaction: its number (nil when it does not exist), its
    /// last run and its head (a branch with no events of its own is at its fork seq).
    mutating func place(of stream: StreamName) throws -> StreamPlace {
        let storageKey = stream.storageKey
        if let cached = known[storageKey] { return cached }
        guard let number = try layout.streamNumber(storageKey, in: transaction) else { return StreamPlace(number: nil, lastRun: nil, head: 0) }
        let lastRun = try layout.lastRun(of: number, in: transaction)
        let head = try lastRun?.lastSeq ?? layout.lineage(of: number, in: transaction).forkSeq
        return StreamPlace(number: number, lastRun: lastRun, head: head)
    }

    /// The conflict when `place` is not at `expected`; nil when it is.
    func versionConflict(_ stream: StreamName, _ expected: ExpectedVersion, at place: StreamPlace) -> EventStoreError? {
        guard case .exactly(let version) = expected, version != place.head else { return nil }
        return .versionConflict(stream: stream, expected: version, actual: place.head)
    }

    /// The live object of `stream` at `place` (woken if need be); nil when its type has no
    /// views or the stream does not exist.
    mutating func liveObject(_ stream: StreamName, at place: StreamPlace) throws -> LiveObject? {
        guard let number = place.number else { return nil }
        return try live.object(stream, number: number, head: place.head, nowMilliseconds: timeMilliseconds)
    }

    /// Appends `request`'s events, or says why not. A retry of an earlier request answers its
    /// original numbers: by its idempotency key, or when every event id was appended by it.
    private mutating func append(_ request: AppendRequest) throws -> Result<AppendOutcome, EventStoreError> {
        guard let key = request.idempotencyKey else { return try appendOnce(request) }
        if let remembered = try idempotency.find(key, on: request.stream, command: false, now: timeMilliseconds, in: transaction) {
            return remembered.map { $0.appendOutcome(of: request.stream) }
        }
        let result = try appendOnce(request)
        if case .success(let outcome) = result {
            try idempotency.remember(IdempotentAnswer(outcome, fingerprint: key.fingerprint, created: timeMilliseconds), for: key, on: request.stream, in: transaction)
        }
        return result
    }

    private mutating func appendOnce(_ request: AppendRequest) throws -> Result<AppendOutcome, EventStoreError> {
        let place = try place(of: request.stream)
        if let answer = try replayedAnswer(for: request, stream: place.number) { return answer }
        if let conflict = versionConflict(request.stream, request.expectedVersion, at: place) { return .failure(conflict) }
        if place.number == nil, request.stream.branch != .main { return .failure(.branchNotFound(request.stream)) }
        if place.number == nil, let time = try erasure(of: request.stream.object) { return .failure(.objectErased(request.stream.object, at: time)) }
        return .success(try write(request, at: place, definition: objectTypes[request.stream.object.type.name]).outcome)
    }

    /// Writes `request`'s events at `place` (creating the stream if it has none): the log
    /// records, the id and run indexes, the timers; and folds them into the object's live views.
    /// Returns the outcome, the events as reducers saw them (empty when the type has no views)
    /// and the live object.
    mutating func write(
        _ request: AppendRequest, at place: StreamPlace, definition: ObjectTypeDefinition?
    ) throws -> (outcome: AppendOutcome, events: [RecordedEvent], object: LiveObject?) {
        let storageKey = request.stream.storageKey
        let stream = try place.number ?? createStream(storageKey)
        let head = place.head
        let count = UInt64(request.eventCount)
        let firstPosition = state.nextPosition
        let firstSeq = head + 1
        // Woken (or made, for a new stream) at the head before these events.
        let object = definition?.views.isEmpty == false
            ? try live.object(request.stream, number: stream, head: head, nowMilliseconds: timeMilliseconds) : nil
        var bytes: UInt64 = 0
        // Sealed under the object's key, unless the store does not seal or this is the
        // tombstone of an erasure (whose key is going).
        let seal = try sealing.flatMap { sealing in
            request.isTombstone
                ? nil
                : (
                    key: try sealing.ring.key(forObject: request.stream.object.storageName, object: request.stream.object, made: &madeKeys, in: transaction),
                    context: sealing.context, epoch: sealing.ring.epoch.load(ordering: .relaxed)
                )
        }
        let tagBytes = seal == nil ? 0 : AESGCM.tagBytes
        for index in 0..<request.eventCount {
            let position = firstPosition + UInt64(index)
            let slot = request.events.slots[index]
            guard let id = slot.id else { preconditionFailure("event ids are assigned before queueing") }
            try request.events.withEvent(index) { type, payload in
                let size = EventRecord.size(typeCount: type.count, payloadCount: payload.count + tagBytes)
                bytes += UInt64(size)
                try StoreKeys.withKey(position) { key in
                    try transaction.reserve(layout.log, key: key, count: size, flags: .append) { record in
                        try EventRecord.write(
                            into: record, stream: stream, seq: firstSeq + UInt64(index),
                            timeMilliseconds: request.eventTimes.isEmpty ? timeMilliseconds : request.eventTimes[index],
                            id: id, type: type, payload: payload, isCompressed: slot.isCompressed,
                            dataLength: slot.dataLength, metadataLength: slot.metadataLength, seal: seal)
                    }
                }
            }
            var value = position.littleEndian
            try StoreKeys.withIDKey(id, tenant: request.stream.object.tenant) { key in
                try withUnsafeBytes(of: &value) { try transaction.put(layout.ids, key: key, value: $0, flags: .noOverwrite) }
            }
        }
        tenantBytes[request.stream.object.tenant, default: 0] += bytes
        let run = try recordRun(stream: stream, lastRun: place.lastRun, firstSeq: firstSeq, firstPosition: firstPosition, count: count)
        known[storageKey] = StreamPlace(number: stream, lastRun: run, head: head + count)
        try recordTimers(request, stream: stream)
        state.nextPosition += count
        let outcome = AppendOutcome(
            stream: request.stream, firstSeq: firstSeq, lastSeq: head + count, firstPosition: firstPosition,
            lastPosition: firstPosition + count - 1, timeMilliseconds: timeMilliseconds, isDuplicate: false)
        guard let object else { return (outcome, [], nil) }
        let recorded = try recordedEvents(request, firstSeq: firstSeq)
        object.fold(recorded)
        try live.checkLookups()
        return (outcome, recorded, object)
    }

    /// Extends the stream's last run when the new events follow it directly in the log,
    /// otherwise starts a new run; returns the run as stored.
    /// Adds the bytes the batch appended to each tenant's total, in the batch's transaction.
    func recordTenantBytes() throws {
        for (tenant, bytes) in tenantBytes {
            let key = StoreLayout.tenantBytesKey(tenant)
            let stored = try key.withUnsafeBytes { try transaction.get(layout.meta, key: $0) }.map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } ?? 0
            var total = (stored &+ bytes).littleEndian
            try key.withUnsafeBytes { key in try withUnsafeBytes(of: &total) { try transaction.put(layout.meta, key: key, value: $0) } }
        }
    }

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
        try layout.countObject(storageKey, by: 1, in: transaction)
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
            let found = try StoreKeys.withIDKey(id, tenant: request.stream.object.tenant) { key in
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

/// Where a stream stands inside a write transaction.
struct StreamPlace {
    /// Its stream number; nil when it does not exist yet.
    let number: UInt64?
    /// Its last run of consecutive positions; nil when it has no events of its own.
    let lastRun: SeqRun?
    /// Its head: its last seq, its own or its lineage's.
    let head: Seq
}
