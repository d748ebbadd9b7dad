import EventModel

/// `insertBlock {userId, blockId?, after?, before?, text, kind?}`: a new block right after
/// `after` and/or right before `before` (at the end when neither is given), at a fractional
/// position between its neighbours. Without a `blockId`, one is generated from the decision
/// time and a number, the same for the same state and time. Refused with `USER_NOT_JOINED`, `BLOCK_EXISTS`,
/// `INVALID_POSITION`, or `INVALID_COMMAND` for an id or a text out of the schema's limits.
public struct InsertBlockCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
        /// The new block's id (1-128 characters); generated when not given.
        public var blockId: String?
        /// The block the new one goes right after, if any.
        public var after: String?
        /// The block the new one goes right before, if any.
        public var before: String?
        /// The block's text, at most 100,000 characters.
        public var text: String
        /// What the block holds; `paragraph` when not given.
        public var kind: BlockKind?
    }

    public let name = "insertBlock"
    public let source = BlocksView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// An insert that sets the idle timer `idleMilliseconds` ahead.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: KeyedState<BlocksView.Summary, BlocksView.Block>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            if let blockId = command.blockId { try DocumentLimits.checkIdentifier(blockId, at: "/blockId") }
            try DocumentLimits.checkText(command.text, at: "/text")
            guard state.editors[command.userId] != nil else { throw Rejection.userNotJoined(command.userId) }
            if let blockId = command.blockId, let existing = state.block(blockId) {
                throw Rejection.blockExists(blockId, position: existing.position)
            }
            let blockId = command.blockId ?? state.generatedBlockId(at: context.nowMilliseconds)
            let position = try state.position(after: command.after, before: command.before)
            let inserted = BlockInserted(
                userId: command.userId, blockId: blockId, position: position, kind: command.kind ?? .paragraph, text: command.text)
            return [
                try NewEvent(type: DocumentEventType.blockInserted, payload: inserted),
                IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds),
            ]
        }
    }
}

/// `updateBlock {userId, blockId, text}`: replaces a block's text, recording the text before
/// (`previousText`) for undo. Refused with `USER_NOT_JOINED`, `BLOCK_NOT_FOUND`, or
/// `INVALID_COMMAND` for a text out of the schema's limit.
public struct UpdateBlockCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
        /// The block.
        public var blockId: String
        /// The new text, at most 100,000 characters.
        public var text: String
    }

    public let name = "updateBlock"
    public let source = BlocksView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// An update that sets the idle timer `idleMilliseconds` ahead.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: KeyedState<BlocksView.Summary, BlocksView.Block>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            try DocumentLimits.checkText(command.text, at: "/text")
            guard state.editors[command.userId] != nil else { throw Rejection.userNotJoined(command.userId) }
            guard let block = state.block(command.blockId) else { throw Rejection.blockNotFound(command.blockId) }
            let updated = BlockUpdated(userId: command.userId, blockId: command.blockId, text: command.text, previousText: block.text)
            return [
                try NewEvent(type: DocumentEventType.blockUpdated, payload: updated),
                IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds),
            ]
        }
    }
}

/// `deleteBlock {userId, blockId}`: removes a block (its text, kind and position are kept in
/// the user's undo entry). Refused with `USER_NOT_JOINED` or `BLOCK_NOT_FOUND`.
public struct DeleteBlockCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
        /// The block.
        public var blockId: String
    }

    public let name = "deleteBlock"
    public let source = BlocksView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// A delete that sets the idle timer `idleMilliseconds` ahead.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: KeyedState<BlocksView.Summary, BlocksView.Block>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            guard state.editors[command.userId] != nil else { throw Rejection.userNotJoined(command.userId) }
            guard state.block(command.blockId) != nil else { throw Rejection.blockNotFound(command.blockId) }
            return [
                try NewEvent(type: DocumentEventType.blockDeleted, payload: BlockDeleted(userId: command.userId, blockId: command.blockId)),
                IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds),
            ]
        }
    }
}

/// `moveBlock {userId, blockId, after?, before?}`: gives a block a new position right after
/// `after` and/or right before `before` (at the end when neither is given), recording the
/// position before (`previousPosition`) for undo. Refused with `USER_NOT_JOINED`,
/// `BLOCK_NOT_FOUND`, or `INVALID_POSITION` (also when `after` or `before` is the block itself).
public struct MoveBlockCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
        /// The block.
        public var blockId: String
        /// The block the block goes right after, if any.
        public var after: String?
        /// The block the block goes right before, if any.
        public var before: String?
    }

    public let name = "moveBlock"
    public let source = BlocksView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// A move that sets the idle timer `idleMilliseconds` ahead.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: KeyedState<BlocksView.Summary, BlocksView.Block>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            guard state.editors[command.userId] != nil else { throw Rejection.userNotJoined(command.userId) }
            guard let block = state.block(command.blockId) else { throw Rejection.blockNotFound(command.blockId) }
            guard command.after != command.blockId, command.before != command.blockId else {
                throw Rejection.invalidPosition("a block cannot be put next to itself", reason: "self", ["blockId": .string(command.blockId)])
            }
            let position = try state.position(after: command.after, before: command.before, moving: command.blockId)
            let moved = BlockMoved(
                userId: command.userId, blockId: command.blockId, position: position, previousPosition: block.position)
            return [
                try NewEvent(type: DocumentEventType.blockMoved, payload: moved),
                IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds),
            ]
        }
    }
}
