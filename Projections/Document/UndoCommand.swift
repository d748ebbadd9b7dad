import EventModel

/// `undo {userId}`: reverts the user's latest block operation not yet undone. An insert is
/// undone by deleting the block, an update by putting the previous text back, a delete by
/// inserting the block again (same id, kind and text) at its old position, a move by moving
/// the block back. A block put back at a position another block took meanwhile goes right
/// after that block.
///
/// Operations that no longer apply (their block is gone, deleted by someone else; or, for a
/// delete, the block is back) are skipped, and forgotten with the operation undone. The undo's
/// event names the operation's seq in `undoes`, so folding it takes the operation off the
/// user's stack instead of pushing a new one. Refused with `USER_NOT_JOINED`, or
/// `NOTHING_TO_UNDO` when no operation applies.
public struct UndoCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The user acting, who must have joined.
        public var userId: String
    }

    public let name = "undo"
    public let source = BlocksView()
    /// How long the user may go unseen before the idle timer drops them.
    public let idleMilliseconds: Int64

    /// An undo that sets the idle timer `idleMilliseconds` ahead.
    public init(idleMilliseconds: Int64) { self.idleMilliseconds = idleMilliseconds }

    public func decide(_ command: Command, state: KeyedState<BlocksView.Summary, BlocksView.Block>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        decision {
            guard let editor = state.editors[command.userId] else { throw Rejection.userNotJoined(command.userId) }
            for entry in editor.undo.reversed() {
                guard let reversal = try reversal(of: entry, by: command.userId, state: state) else { continue }
                return [reversal, IdleTimeout.arm(command.userId, lastSeen: context.nowMilliseconds, idleMilliseconds: idleMilliseconds)]
            }
            throw Rejection.nothingToUndo(command.userId, skipped: editor.undo.count)
        }
    }

    /// The event that reverts `entry`, or nil when it no longer applies.
    private func reversal(of entry: BlocksView.UndoEntry, by userId: String, state: KeyedState<BlocksView.Summary, BlocksView.Block>) throws -> NewEvent? {
        let current = state.block(entry.blockId)
        switch entry.operation {
        case .insert:
            guard current != nil else { return nil }
            return try NewEvent(
                type: DocumentEventType.blockDeleted, payload: BlockDeleted(userId: userId, blockId: entry.blockId, undoes: entry.seq))
        case .update:
            guard let current, let text = entry.text else { return nil }
            let updated = BlockUpdated(userId: userId, blockId: entry.blockId, text: text, previousText: current.text, undoes: entry.seq)
            return try NewEvent(type: DocumentEventType.blockUpdated, payload: updated)
        case .delete:
            guard current == nil, let text = entry.text, let wanted = entry.position, let position = try? state.position(near: wanted) else {
                return nil
            }
            let inserted = BlockInserted(userId: userId, blockId: entry.blockId, position: position, kind: entry.kind, text: text, undoes: entry.seq)
            return try NewEvent(type: DocumentEventType.blockInserted, payload: inserted)
        case .move:
            guard let current, let wanted = entry.position, let position = try? state.position(near: wanted, moving: entry.blockId) else { return nil }
            let moved = BlockMoved(
                userId: userId, blockId: entry.blockId, position: position, previousPosition: current.position, undoes: entry.seq)
            return try NewEvent(type: DocumentEventType.blockMoved, payload: moved)
        }
    }
}
