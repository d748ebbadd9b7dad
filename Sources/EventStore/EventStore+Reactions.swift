import EventModel
import LMDB

extension EventStore {
    /// The position `reaction` has run through (0: none yet).
    public func reactionPosition(_ reaction: String) throws(EventStoreError) -> Position {
        try read { transaction in try layout.reactionPosition(reaction, in: transaction) }
    }

    /// Runs each reaction over up to `limit` log positions after its position (stopping after
    /// the event that takes it to `commandsMax` commands): reads the events it reacts to,
    /// prepares the commands they cause, and has the writer apply them with the reaction's new
    /// position in one transaction (``ReactionStep``). Returns the positions run over in all;
    /// call it again while it returns more than 0. One caller at a time (a second one's steps
    /// are refused, not doubled).
    @discardableResult
    public func runReactions(limit: Int = 4_096, commandsMax: Int = 256) async throws(EventStoreError) -> Int {
        var done = 0
        for reaction in reactions {
            guard let step = try reactionStep(reaction, limit: limit, commandsMax: commandsMax) else { continue }
            _ = try await submit { .react(step, $0) }
            done += Int(step.through - step.from)
        }
        return done
    }

    /// What `reaction` causes over the positions after its own, read in one transaction.
    func reactionStep(_ reaction: AnyReaction, limit: Int, commandsMax: Int) throws(EventStoreError) -> ReactionStep? {
        try read { transaction in
            let from = try layout.reactionPosition(reaction.name, in: transaction)
            let decoder = RecordDecoder()
            var names: [UInt64: StoredStreamName] = [:]
            var effects: [ReactionStep.Effect] = []
            var through = from
            var scanned = 0
            try transaction.withCursor(layout.log) { log in
                var entry = try StoreKeys.withKey(from + 1) { try log.seek(atLeast: $0) }
                while let current = entry, scanned < limit, effects.count < commandsMax {
                    let position = StoreKeys.integer(current.key)
                    let event = try decoder.decode(position: position, record: current.value)
                    scanned += 1
                    through = position
                    entry = try log.next()
                    guard reaction.eventTypes.contains(where: { $0.elementsEqual(event.type) }) else { continue }
                    let name = try names[event.stream] ?? streamName(event.stream, in: transaction, position: position)
                    names[event.stream] = name
                    var branchName = String(decoding: name.branch, as: UTF8.self)
                    if branchName.hasSuffix(StreamRecord.deletedSuffix) { branchName.removeLast(StreamRecord.deletedSuffix.count) }
                    guard let object = name.objectKey, let branch = try? BranchName(branchName) else { continue }
                    let logEvent = LogEvent(
                        object: object, branch: branch, position: position, event: try RecordedEvent(event),
                        metadataJSON: event.metadata.count > 2 ? Array(event.metadata) : [])
                    for (index, command) in reaction.react(to: logEvent).enumerated() {
                        effects.append(effect(of: command, index: index, reaction: reaction.name, event: logEvent))
                    }
                }
            }
            return through > from ? ReactionStep(reaction: reaction.name, from: from, through: through, effects: effects) : nil
        }
    }

    /// `command` prepared as `event`'s `index`th effect, or why it cannot be sent.
    private func effect(of command: ReactionCommand, index: Int, reaction: String, event: LogEvent) -> ReactionStep.Effect {
        let tenant = event.object.tenant
        func refused(_ code: String, _ message: String) -> ReactionStep.Effect {
            ReactionStep.Effect(
                tenant: tenant, trigger: event.event.id, position: event.position, object: command.object, command: command.command,
                request: .failure(Rejection(code: code, status: 422, message: message)))
        }
        guard let object = try? ObjectKey(parsing: command.object, tenant: tenant) else {
            return refused("INVALID_OBJECT", "\(command.object) is not an object (TYPE/ID)")
        }
        guard let decider = objectTypes[object.type.name]?.commands[command.command] else {
            return refused("UNKNOWN_COMMAND", "\(object.type) has no command \(command.command)")
        }
        // The key is the event's and the effect's: a step applied again (it cannot be: its
        // position moves with it) would answer what the first did.
        guard let key = try? IdempotencyKey("\(reaction):\(event.event.id):\(index)", request: [Array(command.command.utf8)]) else {
            return refused("INVALID_KEY", "no idempotency key can be made")
        }
        var request = CommandRequest(stream: StreamName(object: object), command: command.command, body: command.body, idempotencyKey: key)
        switch decider.prepare(command.body) {
        case .failure(let rejection):
            return ReactionStep.Effect(
                tenant: tenant, trigger: event.event.id, position: event.position, object: command.object, command: command.command, request: .failure(rejection))
        case .success(let prepared): request.prepared = prepared
        }
        request.weight = command.body.estimatedBytes
        return ReactionStep.Effect(
            tenant: tenant, trigger: event.event.id, position: event.position, object: command.object, command: command.command, request: .success(request))
    }
}

