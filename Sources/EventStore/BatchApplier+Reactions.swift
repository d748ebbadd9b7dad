import EventModel
import LMDB

extension StoreLayout {
    /// The `meta` key of a reaction's position: `reaction`, a zero byte, its name.
    static func reactionKey(_ name: String) -> [UInt8] { Array("reaction".utf8) + [0] + Array(name.utf8) }

    /// The `meta` key present while a reaction is paused: `reaction-paused`, a zero byte, its name.
    static func reactionPausedKey(_ name: String) -> [UInt8] { Array("reaction-paused".utf8) + [0] + Array(name.utf8) }

    /// Whether `reaction` is paused.
    func isReactionPaused(_ reaction: String, in transaction: some ReadableTransaction) throws -> Bool {
        try Self.reactionPausedKey(reaction).withUnsafeBytes { try transaction.get(meta, key: $0) } != nil
    }

    /// The position `reaction` has run through (0: none yet).
    func reactionPosition(_ reaction: String, in transaction: some ReadableTransaction) throws -> Position {
        try Self.reactionKey(reaction).withUnsafeBytes { try transaction.get(meta, key: $0) }.map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } ?? 0
    }
}

extension BatchApplier {
    /// Applies a reaction's step: runs each command (its idempotency key made from the event
    /// that caused it), records each refusal as a `CommandRefused` event of `reaction/NAME`,
    /// and stores the reaction's new position, all in the batch's transaction; refused whole
    /// when the reaction's position is no longer the one the step started from.
    mutating func react(_ step: ReactionStep) throws -> Result<ReactionOutcome, EventStoreError> {
        let key = StoreLayout.reactionKey(step.reaction)
        guard try layout.reactionPosition(step.reaction, in: transaction) == step.stored else {
            return .failure(.invalidRequest(field: "reaction", reason: "\(step.reaction) moved while it ran from \(step.stored)"))
        }
        // Paused since the step was read: nothing of it is applied, and it stays where it was.
        if try layout.isReactionPaused(step.reaction, in: transaction) { return .success(ReactionOutcome(sent: 0, refused: 0, through: step.from)) }
        var sent = 0
        var refused = 0
        for effect in step.effects {
            var refusal: Rejection?
            switch effect.request {
            case .failure(let rejection):
                refusal = rejection
            case .success(let request):
                switch try run(request) {
                case .success: sent += 1
                case .failure(.rejected(let rejection)): refusal = rejection
                case .failure(let error): refusal = Rejection(code: "COMMAND_FAILED", status: 500, message: error.description)
                }
            }
            guard let refusal else { continue }
            refused += 1
            let fact = NewEvent(
                type: AnyReaction.refusedEventType,
                data: [
                    "reaction": .string(step.reaction), "object": .string(effect.command.object), "command": .string(effect.command.command),
                    "body": effect.command.body,
                    "code": .string(refusal.code), "message": .string(refusal.message), "facts": .object(refusal.facts),
                    "trigger": .string(effect.trigger.description), "position": .number(Double(effect.position)),
                ])
            let stream = StreamName(object: ObjectKey(type: try ObjectType(AnyReaction.objectType), id: try ObjectID(step.reaction), tenant: effect.tenant))
            _ = try write(try decidedRequest(for: stream, [fact]), at: try place(of: stream), definition: objectTypes[AnyReaction.objectType])
        }
        var position = step.through.littleEndian
        try key.withUnsafeBytes { key in try withUnsafeBytes(of: &position) { try transaction.put(layout.meta, key: key, value: $0) } }
        return .success(ReactionOutcome(sent: sent, refused: refused, through: step.through))
    }

    /// Pauses `reaction` (records the `meta` key saying so) or resumes it (removes the key).
    mutating func pauseReaction(_ reaction: String, paused: Bool) throws -> Result<Void, EventStoreError> {
        try StoreLayout.reactionPausedKey(reaction).withUnsafeBytes { key in
            if paused {
                try [UInt8(1)].withUnsafeBytes { try transaction.put(layout.meta, key: key, value: $0) }
            } else {
                _ = try transaction.delete(layout.meta, key: key)
            }
        }
        return .success(())
    }
}
