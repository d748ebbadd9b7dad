import EventModel
import LMDB

extension EventStore {
    /// The position `reaction` has run through (0: none yet): its stored one, or past it over
    /// positions that caused nothing.
    public func reactionPosition(_ reaction: String) throws(EventStoreError) -> Position {
        let stored = try read { transaction in try layout.reactionPosition(reaction, in: transaction) }
        return max(stored, reactionCursors.withLock { $0[reaction] ?? 0 })
    }

    /// How far past its stored position a reaction may run over positions that cause nothing
    /// before it stores its position anyway (bounding what a restart runs over again).
    static let reactionUnstoredMax: Position = 65_536

    /// Runs each reaction that is not paused over up to `limit` log positions after its
    /// position (stopping after the event that takes it to `commandsMax` commands): reads the
    /// events it reacts to, prepares the commands they cause, and has the writer apply them with
    /// the reaction's new position in one transaction (``ReactionStep``). Returns the positions
    /// run over in all; call it again while it returns more than 0. One caller at a time (a
    /// second one's steps are refused, not doubled).
    @discardableResult
    public func runReactions(limit: Int = 4_096, commandsMax: Int = 256) async throws(EventStoreError) -> Int {
        var done = 0
        for reaction in reactions {
            guard let step = try await runReaction(reaction, limit: limit, commandsMax: commandsMax) else { continue }
            done += Int(step.outcome.through - step.from)
        }
        return done
    }

    /// Runs `reaction` once as ``runReactions(limit:commandsMax:)`` does: nil when it is paused
    /// or has nothing after its position; else the position it started from and what it did.
    public func runReaction(_ reaction: AnyReaction, limit: Int = 4_096, commandsMax: Int = 256) async throws(EventStoreError) -> (from: Position, outcome: ReactionOutcome)? {
        guard let step = try reactionStep(reaction, limit: limit, commandsMax: commandsMax) else { return nil }
        let outcome: ReactionOutcome
        if step.effects.isEmpty, step.through - step.stored < Self.reactionUnstoredMax {
            outcome = ReactionOutcome(sent: 0, refused: 0, through: step.through)
        } else {
            outcome = try await submit { .react(step, $0) }
        }
        reactionCursors.withLock { $0[reaction.name] = max($0[reaction.name] ?? 0, outcome.through) }
        return (step.from, outcome)
    }

    /// Stores the position of each reaction that has run past its stored one over positions
    /// that caused nothing (so a restart need not run over them again): for a clean stop.
    public func storeReactionPositions() async throws(EventStoreError) {
        for reaction in reactions {
            let stored = try read { transaction in try layout.reactionPosition(reaction.name, in: transaction) }
            let cursor = reactionCursors.withLock { $0[reaction.name] ?? 0 }
            guard cursor > stored else { continue }
            let step = ReactionStep(reaction: reaction.name, stored: stored, from: cursor, through: cursor, effects: [])
            _ = try await submit { .react(step, $0) }
        }
    }

    /// Pauses `reaction` (it runs no further until resumed, across restarts) or resumes it.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` when the store runs no
    ///   reaction of that name.
    public func setReactionPaused(_ reaction: String, _ paused: Bool) async throws(EventStoreError) {
        guard reactions.contains(where: { $0.name == reaction }) else {
            throw .invalidRequest(field: "reaction", reason: "is \(reaction), which is not one of the store's reactions")
        }
        try await submit { .pauseReaction(reaction, paused: paused, $0) }
        commits.nudge()
    }

    /// Where each reaction stands, with the last `refusalsMax` refusals it met in `tenant`
    /// (the `CommandRefused` events of `reaction/NAME`), newest first.
    public func reactionStatuses(tenant: Tenant = .default, refusalsMax: Int = 10) throws(EventStoreError) -> [ReactionStatus] {
        let committed = commits.committedPosition
        var statuses: [ReactionStatus] = []
        for reaction in reactions {
            let paused = try read { transaction in try layout.isReactionPaused(reaction.name, in: transaction) }
            let position = try reactionPosition(reaction.name)
            var refusals: [RecordedEvent] = []
            var count: Seq = 0
            if let id = try? ObjectID(reaction.name), let type = try? ObjectType(AnyReaction.objectType) {
                let stream = StreamName(object: ObjectKey(type: type, id: id, tenant: tenant))
                count = try version(of: stream)
                if count > 0 {
                    let from = count > Seq(refusalsMax) ? count - Seq(refusalsMax) + 1 : 1
                    _ = try readStream(stream, from: from, limit: refusalsMax) { event in
                        if let recorded = try? RecordedEvent(event) { refusals.append(recorded) }
                    }
                }
            }
            statuses.append(
                ReactionStatus(
                    name: reaction.name, eventTypes: reaction.eventTypes.map { String(decoding: $0, as: UTF8.self) }, position: position,
                    lag: committed - min(committed, position), paused: paused, refusals: count, lastRefusals: refusals.reversed()))
        }
        return statuses
    }

    /// What `reaction` causes over the positions after its own, read in one transaction.
    func reactionStep(_ reaction: AnyReaction, limit: Int, commandsMax: Int) throws(EventStoreError) -> ReactionStep? {
        try read { transaction in
            guard try !layout.isReactionPaused(reaction.name, in: transaction) else { return nil }
            let stored = try layout.reactionPosition(reaction.name, in: transaction)
            let from = max(stored, reactionCursors.withLock { $0[reaction.name] ?? 0 })
            let decoder = RecordDecoder(layout: layout)
            var names: [UInt64: StoredStreamName] = [:]
            var effects: [ReactionStep.Effect] = []
            var through = from
            var scanned = 0
            try transaction.withCursor(layout.log) { log in
                var entry = try StoreKeys.withKey(from + 1) { try log.seek(atLeast: $0) }
                while let current = entry, scanned < limit, effects.count < commandsMax {
                    let position = StoreKeys.integer(current.key)
                    scanned += 1
                    through = position
                    let record = current.value
                    // Passed over by its type alone (unchecked: a damaged record the reaction
                    // wants fails its check below, and readers and `verify` check every one).
                    if let type = EventRecord.type(record), !reaction.eventTypes.contains(where: { $0.elementsEqual(type) }) {
                        entry = try log.next()
                        continue
                    }
                    // A record too short to hold a type fails its check here.
                    let event = try decoder.decode(position: position, record: record, in: transaction)
                    entry = try log.next()
                    let name = try names[event.stream] ?? streamName(event.stream, in: transaction, position: position)
                    names[event.stream] = name
                    var branchName = String(decoding: name.branch, as: UTF8.self)
                    if branchName.hasSuffix(StreamName.deletedSuffix) { branchName.removeLast(StreamName.deletedSuffix.count) }
                    // A what-if branch's events cause nothing outside it.
                    guard let object = name.objectKey, branchName == BranchName.main.description, let branch = try? BranchName(branchName) else { continue }
                    let logEvent = LogEvent(
                        object: object, branch: branch, position: position, event: try RecordedEvent(event),
                        metadataJSON: event.metadata.count > 2 ? Array(event.metadata) : [])
                    for (index, command) in reaction.react(to: logEvent).enumerated() {
                        effects.append(effect(of: command, index: index, reaction: reaction.name, event: logEvent))
                    }
                }
            }
            return through > from ? ReactionStep(reaction: reaction.name, stored: stored, from: from, through: through, effects: effects) : nil
        }
    }

    /// `command` prepared as `event`'s `index`th effect, or why it cannot be sent.
    private func effect(of command: ReactionCommand, index: Int, reaction: String, event: LogEvent) -> ReactionStep.Effect {
        func effect(_ request: Result<CommandRequest, Rejection>) -> ReactionStep.Effect {
            ReactionStep.Effect(tenant: event.object.tenant, trigger: event.event.id, position: event.position, command: command, request: request)
        }
        guard let object = try? ObjectKey(parsing: command.object, tenant: event.object.tenant) else {
            return effect(.failure(Rejection(code: "INVALID_OBJECT", status: 422, message: "\(command.object) is not an object (TYPE/ID)")))
        }
        guard let decider = objectTypes[object.type.name]?.commands[command.command] else {
            return effect(.failure(Rejection(code: "UNKNOWN_COMMAND", status: 422, message: "\(object.type) has no command \(command.command)")))
        }
        // The key is the event's and the effect's: a step applied again (it cannot be: its
        // position moves with it) would answer what the first did.
        let key = IdempotencyKey(reaction: reaction, event: event.event.id, index: index, request: [Array(command.command.utf8)])
        var metadata = command.metadata
        metadata["reaction"] = .string(reaction)
        metadata["causedBy"] = .string(event.event.id.description)
        var request = CommandRequest(stream: StreamName(object: object), command: command.command, body: command.body, idempotencyKey: key, metadata: metadata)
        switch decider.prepare(command.body) {
        case .failure(let rejection): return effect(.failure(rejection))
        case .success(let prepared): request.prepared = prepared
        }
        request.reaction = reaction
        request.weight = command.body.estimatedBytes
        return effect(.success(request))
    }
}
