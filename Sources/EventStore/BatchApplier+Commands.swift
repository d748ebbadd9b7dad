import EventModel
import LMDB

extension BatchApplier {
    /// Runs `request`'s decider on the object's current state and appends what it decides; a
    /// retry with the same idempotency key answers what the first decided.
    mutating func run(_ request: CommandRequest) throws -> Result<CommandOutcome, EventStoreError> {
        guard let key = request.idempotencyKey else { return try runOnce(request) }
        if let remembered = try idempotency.find(key, on: request.stream, command: true, now: timeMilliseconds, in: transaction) {
            switch remembered {
            case .failure(let error): return .failure(error)
            case .success(let answer):
                // Its events compacted since: it was answered, but what cannot be given again.
                do { return .success(try replayedCommand(answer, stream: request.stream)) } catch EventStoreError.compacted(let horizon) { return .failure(.compacted(horizon)) }
            }
        }
        let result = try runOnce(request)
        if case .success(let outcome) = result {
            try idempotency.remember(IdempotentAnswer(outcome, fingerprint: key.fingerprint, created: timeMilliseconds), for: key, on: request.stream, in: transaction)
        }
        return result
    }

    /// The answer a command with a remembered idempotency key gave: its events, read back.
    private mutating func replayedCommand(_ answer: IdempotentAnswer, stream: StreamName) throws -> CommandOutcome {
        var events: [RecordedEvent] = []
        if answer.count > 0, let number = try place(of: stream).number {
            _ = try layout.forEachEvent(of: number, from: answer.firstSeq, limit: Int(answer.count), in: transaction) { events.append(try RecordedEvent($0)) }
        }
        var outcome = CommandOutcome(stream: stream, events: events, firstPosition: answer.firstPosition, version: answer.lastSeq, state: nil)
        outcome.isReplay = true
        return outcome
    }

    private mutating func runOnce(_ request: CommandRequest) throws -> Result<CommandOutcome, EventStoreError> {
        let place = try place(of: request.stream)
        if let conflict = versionConflict(request.stream, request.expectedVersion, at: place) { return .failure(conflict) }
        if place.number == nil, request.stream.branch != .main { return .failure(.branchNotFound(request.stream)) }
        if place.number == nil, let time = try erasure(of: request.stream.object) { return .failure(.objectErased(request.stream.object, at: time)) }
        guard let definition = objectTypes[request.stream.object.type.name], let decider = definition.commands[request.name],
            let view = definition.views.first(where: { $0.name == decider.viewName }), let command = request.prepared
        else { return .failure(.invalidRequest(field: "command", reason: "no decider for \(request.name)")) }
        let current: any Sendable
        if let object = try liveObject(request.stream, at: place), let live = object.view(view.name) {
            current = live.stateValue
        } else {
            current = try initialState(of: view)
        }
        let decision = decider.decide(command, state: current, context: DecisionContext(nowMilliseconds: timeMilliseconds, branch: request.stream.branch, reaction: request.reaction))
        try live.checkLookups()
        switch decision {
        case .failure(let rejection):
            return .failure(.rejected(rejection))
        case .success(let decided) where decided.isEmpty:
            let state = request.includeState ? try stateJSON(of: view.name, stream: request.stream, at: place, definition: definition) : nil
            return .success(CommandOutcome(stream: request.stream, events: [], firstPosition: 0, version: place.head, state: state))
        case .success(let decided):
            let written = try write(decidedRequest(for: request.stream, decided, metadata: request.metadata), at: place, definition: definition)
            let state = request.includeState ? try written.object?.view(view.name)?.workingSummaryJSON() : nil
            return .success(
                CommandOutcome(
                    stream: request.stream, events: written.events, firstPosition: written.outcome.firstPosition, version: written.outcome.lastSeq,
                    state: state))
        }
    }

    /// The summary of `viewName` of the object at `place`, as JSON.
    private mutating func stateJSON(of viewName: String, stream: StreamName, at place: StreamPlace, definition: ObjectTypeDefinition) throws -> [UInt8]? {
        if let object = try liveObject(stream, at: place) { return try object.view(viewName)?.workingSummaryJSON() }
        guard let view = definition.views.first(where: { $0.name == viewName }) else { return nil }
        return try ViewFolder.makeFold(view, lineage: Lineage(segments: []), base: nil, layout: layout, context: live.context).summaryJSON()
    }

    /// What `view`'s deciders read of an object with no events.
    func initialState(of view: AnyProjection) throws -> any Sendable {
        try ViewFolder.makeFold(view, lineage: Lineage(segments: []), base: nil, layout: layout, context: live.context).stateValue
    }

    /// Fires the timer `timerId` of `stream` through its object type's handler, appending
    /// `TimerFired` and the handler's events; nothing when the timer is no longer pending.
    mutating func fire(_ timerId: String, of stream: StreamName) throws -> Result<Void, EventStoreError> {
        let place = try place(of: stream)
        guard let number = place.number, let definition = objectTypes[stream.object.type.name], let handler = definition.timerHandler,
            let pending = try pendingTimer(stream: number, timerId: timerId),
            let object = try liveObject(stream, at: place), let view = object.view(handler.viewName)
        else { return .success(()) }
        let decided = handler.fire(timerId: timerId, payload: pending.payload, state: view.stateValue, context: DecisionContext(nowMilliseconds: timeMilliseconds, branch: stream.branch))
        try live.checkLookups()
        let fired = NewEvent(type: TimerEventType.fired, data: ["timerId": .string(timerId)])
        _ = try write(decidedRequest(for: stream, [fired] + decided), at: place, definition: definition)
        return .success(())
    }

    /// Checkpoints every view of `stream` once the batch is durable, and answers once the
    /// checkpoint is written. At version 0 every view is its initial state: nothing to write.
    mutating func snapshot(_ stream: StreamName, reply: WriterReply<SnapshotTaken>) throws -> WriterCompletion {
        let place = try place(of: stream)
        guard place.number != nil else { return reply.completion(.failure(.branchNotFound(stream))) }
        guard let definition = objectTypes[stream.object.type.name], !definition.views.isEmpty else {
            return reply.completion(.failure(.invalidRequest(field: "type", reason: "\(stream.object.type) has no views to snapshot")))
        }
        guard place.head > 0, let object = try liveObject(stream, at: place) else {
            return reply.completion(.success(SnapshotTaken(stream: stream, version: 0, views: [])))
        }
        let (live, now, names) = (live, timeMilliseconds, definition.views.map(\.name))
        afterCommit.append {
            let version = object.seq
            live.checkpointNow(object, nowMilliseconds: now) { failure in
                reply.continuation.resume(returning: failure.map { .failure($0) } ?? .success(SnapshotTaken(stream: stream, version: version, views: names)))
            }
        }
        return WriterCompletion {}
    }

    /// Stores part of a view's checkpoint: its rows, and with the last part its snapshot, after
    /// which the live view reads its rows from storage as of it. Nothing for a stream deleted
    /// meanwhile.
    mutating func apply(_ write: CheckpointWrite) throws -> Result<Void, EventStoreError> {
        guard try write.storageKey.withUnsafeBytes({ try transaction.get(layout.streamNames, key: $0) })
            .map({ UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }) == write.stream
        else { return .success(()) }
        if write.replacesSnapshots {
            let prefix = SnapshotKeys.withKey(stream: write.stream, name: write.view.name, seq: 0) { Array($0.prefix($0.count - 8)) }
            var keys: [[UInt8]] = []
            try transaction.withCursor(layout.snapshots) { cursor in
                var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
                while let current = entry, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                    keys.append(Array(current.key))
                    entry = try cursor.next()
                }
            }
            for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(layout.snapshots, key: $0) } }
        }
        // Sealed under the object's key (when the store seals), as its events are.
        let key = try sealing.flatMap { _ in try layout.sealingKey(ofStream: write.stream, in: transaction) }
        for row in write.rows {
            try row.key.withUnsafeBytes { recordKey in
                let value = try key.map { try SealedValue.sealRow(row.value, key: $0, recordKey: recordKey, context: sealing!.context) } ?? row.value
                try value.withUnsafeBytes { try transaction.put(layout.rows, key: recordKey, value: $0) }
            }
        }
        guard let snapshot = write.snapshot else { return .success(()) }
        try SnapshotKeys.withKey(stream: write.stream, name: write.view.name, seq: snapshot.seq) { recordKey in
            let value = try key.map { try SealedValue.sealSnapshot(snapshot.value, key: $0, recordKey: recordKey, context: sealing!.context) } ?? snapshot.value
            try value.withUnsafeBytes { try transaction.put(layout.snapshots, key: recordKey, value: $0) }
        }
        if let object = write.object, let view = write.liveView {
            let stored = StoredRows(layout: layout, lineage: object.lineage, view: write.view.name, version: write.view.version, bound: snapshot.seq)
            afterCommit.append {
                object.lock.withExclusive {
                    view.checkpointStored(at: snapshot.seq, stored: stored, summaryBytes: snapshot.summaryBytes, rowBytes: snapshot.rowBytes)
                }
            }
        }
        return .success(())
    }

    /// The events of `request` as reducers see them, from `firstSeq` on.
    func recordedEvents(_ request: AppendRequest, firstSeq: Seq) throws -> [RecordedEvent] {
        try request.events.slots.indices.map { index in
            let slot = request.events.slots[index]
            let time = request.eventTimes.isEmpty ? timeMilliseconds : request.eventTimes[index]
            if index < request.decided.count {
                return RecordedEvent(seq: firstSeq + UInt64(index), id: slot.id!, decided: request.decided[index], timeMilliseconds: time)
            }
            let type = request.events.withEvent(index) { type, _ in String(decoding: type, as: UTF8.self) }
            let data = index < request.dataValues.count ? request.dataValues[index] : try request.events.parsedData(index)
            return RecordedEvent(seq: firstSeq + UInt64(index), id: slot.id!, type: type, data: data, timeMilliseconds: time)
        }
    }

    /// The request that appends to `stream` what a decider decided, with generated ids.
    mutating func decidedRequest(for stream: StreamName, _ decided: [NewEvent], metadata: [UInt8] = []) throws -> AppendRequest {
        var batch = EventBatch()
        for event in decided {
            var type = event.type
            try type.withUTF8 { type in
                try event.json.withUnsafeBytes { data in
                    try metadata.withUnsafeBytes { metadata in
                        try batch.add(id: nil, type: UnsafeRawBufferPointer(type), data: data, metadata: metadata)
                    }
                }
            }
        }
        let milliseconds = timeMilliseconds
        batch.assignMissingIDs { EventID.version7(milliseconds: milliseconds, using: &generator) }
        // Fast level: the writer compresses what a decider made (a 500-reading batch is 55 KB
        // of JSON, a fifth of it stored), while appends come compressed by their callers.
        batch.compress(thresholdBytes: compression.thresholdBytes, using: compression.compressor)
        var request = AppendRequest(stream: stream, expectedVersion: .any, events: batch)
        request.decided = decided
        return request
    }
}
