import EventModel

/// `join {userId, userName}`: the user is here (again, with this name, if they were already)
/// and their idle timer starts. Refused with `INVALID_COMMAND` for an id or a name out of the
/// schema's limits.
public struct JoinCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user joining (1-128 characters).
        public var userId: String
        /// The name shown for the user (1-200 characters).
        public var userName: String
    }

    public let name = "join"
    public let source = PresenceView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// A join whose idle timer is `idleMilliseconds` long.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: PresenceView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            try DocumentLimits.checkIdentifier(command.userId, at: "/userId")
            try DocumentLimits.checkUserName(command.userName, at: "/userName")
            return [
                try NewEvent(type: DocumentEventType.joined, payload: Joined(userId: command.userId, userName: command.userName)),
                IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds),
            ]
        }
    }
}

/// `leave {userId}`: the user is gone, with what they could undo; their idle timer is
/// cancelled. Refused with `USER_NOT_JOINED` for a user who is not here.
public struct LeaveCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
    }

    public let name = "leave"
    public let source = PresenceView()

    /// A leave.
    public init() {}

    public func decide(_ command: Command, state: PresenceView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            guard state.users[command.userId] != nil else { throw Rejection.userNotJoined(command.userId) }
            return [
                try NewEvent(type: DocumentEventType.left, payload: Left(userId: command.userId, reason: .left)),
                .cancelTimer(id: IdleTimeout.timerId(command.userId)),
            ]
        }
    }
}

/// `cursor {userId, blockId, offset}`: puts the user's cursor in a block. Refused with
/// `USER_NOT_JOINED`, `BLOCK_NOT_FOUND`, or `INVALID_COMMAND` for a negative offset.
public struct CursorCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
        /// The block.
        public var blockId: String
        /// The offset in the block's text, in the client's unit; not negative.
        public var offset: Int
    }

    public let name = "cursor"
    public let source = BlocksView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// A cursor move that sets the idle timer `idleMilliseconds` ahead.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: KeyedState<BlocksView.Summary, BlocksView.Block>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            guard command.offset >= 0 else {
                throw Rejection.invalidMember("/offset", "must not be negative", ["offset": .number(Double(command.offset))])
            }
            guard state.editors[command.userId] != nil else { throw Rejection.userNotJoined(command.userId) }
            guard state.block(command.blockId) != nil else { throw Rejection.blockNotFound(command.blockId) }
            return [
                try NewEvent(
                    type: DocumentEventType.cursorMoved,
                    payload: CursorMoved(userId: command.userId, blockId: command.blockId, offset: command.offset)),
                IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds),
            ]
        }
    }
}
