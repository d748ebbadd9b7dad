import EventModel

/// The `presence` view of a document: who is here, where their cursor is, and when each was
/// last seen.
///
/// A user is here from their `Joined` until their `Left` (said, or dropped by the idle timer).
/// `lastSeen` is the commit time of their latest `Joined`, `CursorMoved` or block event, so it
/// is the same on every replay. A cursor on a block that is deleted is cleared.
public struct PresenceView: Projection {
    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// The users here, by user id.
        public var users: [String: Member] = [:]

        /// Nobody here.
        public init() {}
    }

    /// A user who is here.
    public struct Member: Codable, Sendable, Equatable {
        /// The name they joined with (the latest, if they joined again).
        public var userName: String
        /// Where their cursor is; nil before they place it, or once its block is deleted.
        public var cursor: Cursor?
        /// When they were last seen, ms since the epoch (an event's commit time).
        public var lastSeen: Int64
    }

    /// A cursor: a block and an offset in its text.
    public struct Cursor: Codable, Sendable, Equatable {
        /// The block the cursor is in.
        public var blockId: String
        /// The offset in the block's text (the client's unit, e.g. UTF-16 code units).
        public var offset: Int
    }

    public let name = "presence"
    public let version = 1
    public var initialState: State { State() }

    public init() {}

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        switch event.type {
        case DocumentEventType.joined:
            guard let joined = event.decode(Joined.self) else { return }
            let cursor = state.users[joined.userId]?.cursor
            state.users[joined.userId] = Member(userName: joined.userName, cursor: cursor, lastSeen: event.timeMilliseconds)
        case DocumentEventType.left:
            guard let left = event.decode(Left.self) else { return }
            state.users[left.userId] = nil
        case DocumentEventType.cursorMoved:
            guard let moved = event.decode(CursorMoved.self), state.users[moved.userId] != nil else { return }
            state.users[moved.userId]?.cursor = Cursor(blockId: moved.blockId, offset: moved.offset)
            state.users[moved.userId]?.lastSeen = event.timeMilliseconds
        case DocumentEventType.blockInserted, DocumentEventType.blockUpdated, DocumentEventType.blockMoved:
            guard let reference = event.decode(BlockEventReference.self) else { return }
            state.users[reference.userId]?.lastSeen = event.timeMilliseconds
        case DocumentEventType.blockDeleted:
            guard let reference = event.decode(BlockEventReference.self) else { return }
            state.users[reference.userId]?.lastSeen = event.timeMilliseconds
            for (userId, member) in state.users where member.cursor?.blockId == reference.blockId {
                state.users[userId]?.cursor = nil
            }
        default:
            return
        }
    }
}
