import EventModel

extension BlocksView {
    /// The most operations a user can undo; older ones are forgotten first.
    public static let undoDepthMax = 100

    /// A user here, with what they can undo.
    public struct Editor: Codable, Sendable, Equatable {
        /// Their block operations not yet undone, oldest first (at most ``undoDepthMax``).
        public var undo: [UndoEntry] = []
    }

    /// A block operation as undo needs it: what to put back.
    public struct UndoEntry: Codable, Sendable, Equatable {
        /// The seq of the event that did it; the undo event names it in `undoes`.
        public var seq: Seq
        /// What was done.
        public var operation: Operation
        /// The block it was done to.
        public var blockId: String
        /// `update`: the text before; `delete`: the deleted block's text.
        public var text: String?
        /// `move`: the position before; `delete`: the deleted block's position.
        public var position: String?
        /// `delete`: the deleted block's kind.
        public var kind: BlockKind?
    }

    /// The block operations a user can undo.
    public enum Operation: String, Codable, Sendable {
        /// Undone by deleting the block.
        case insert
        /// Undone by putting the previous text back.
        case update
        /// Undone by inserting the block again, with its text and kind, at its old position.
        case delete
        /// Undone by moving the block back.
        case move
    }
}

extension BlocksView.Summary {
    /// Records `entry`, done by `userId`, on their undo stack; or, when the event was an undo of
    /// the operation of seq `undoes`, takes that operation off the stack, with those above it
    /// (the undo skipped them: they no longer applied). Nothing is recorded for a user not here.
    mutating func record(_ entry: BlocksView.UndoEntry, by userId: String, undoing undoes: Seq?) {
        guard var editor = editors[userId] else { return }
        if let undoes {
            guard let index = editor.undo.lastIndex(where: { $0.seq == undoes }) else { return }
            editor.undo.removeSubrange(index...)
        } else {
            editor.undo.append(entry)
            if editor.undo.count > BlocksView.undoDepthMax { editor.undo.removeFirst(editor.undo.count - BlocksView.undoDepthMax) }
        }
        editors[userId] = editor
    }
}
