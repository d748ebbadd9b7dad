import EventModel

/// The `blocks` view of a document: its blocks in order, and, for each user here, the block
/// operations they can undo.
///
/// Blocks are kept sorted by their fractional position (then by block id, so even positions
/// that tie, which the deciders never produce, sort the same on every replay). An event about a
/// block that does not exist, or inserting one that does, changes nothing.
public struct BlocksView: Projection {
    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// The blocks in document order.
        public var blocks: [Block] = []
        /// The users here, each with the operations they can undo, by user id. Who is not here
        /// cannot edit; leaving (or being dropped as idle) forgets what one could undo. (The
        /// editing deciders read this view alone, so it follows joins and leaves too.)
        public var editors: [String: Editor] = [:]

        /// An empty document.
        public init() {}
    }

    /// One block of the document.
    public struct Block: Codable, Sendable, Equatable {
        /// Its id, unique in the document.
        public var blockId: String
        /// What it holds.
        public var kind: BlockKind
        /// Its text.
        public var text: String
        /// Its fractional position: base-62 digits, compared byte by byte.
        public var position: String

        /// Whether `self` comes before `other` in the document.
        func precedes(_ other: Block) -> Bool {
            if position != other.position { return FractionalPosition.precedes(position, other.position) }
            return blockId.utf8.lexicographicallyPrecedes(other.blockId.utf8)
        }
    }

    public let name = "blocks"
    public let version = 1
    public var initialState: State { State() }

    public init() {}

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        switch event.type {
        case DocumentEventType.joined:
            guard let joined = event.decode(Joined.self), state.editors[joined.userId] == nil else { return }
            state.editors[joined.userId] = Editor()
        case DocumentEventType.left:
            guard let left = event.decode(Left.self) else { return }
            state.editors[left.userId] = nil
        case DocumentEventType.blockInserted:
            guard let inserted = event.decode(BlockInserted.self), state.index(of: inserted.blockId) == nil else { return }
            state.place(Block(blockId: inserted.blockId, kind: inserted.kind ?? .paragraph, text: inserted.text, position: inserted.position))
            state.record(UndoEntry(seq: event.seq, operation: .insert, blockId: inserted.blockId), by: inserted.userId, undoing: inserted.undoes)
        case DocumentEventType.blockUpdated:
            guard let updated = event.decode(BlockUpdated.self), let index = state.index(of: updated.blockId) else { return }
            let previousText = state.blocks[index].text
            state.blocks[index].text = updated.text
            state.record(
                UndoEntry(seq: event.seq, operation: .update, blockId: updated.blockId, text: previousText), by: updated.userId,
                undoing: updated.undoes)
        case DocumentEventType.blockDeleted:
            guard let deleted = event.decode(BlockDeleted.self), let index = state.index(of: deleted.blockId) else { return }
            let block = state.blocks.remove(at: index)
            state.record(
                UndoEntry(seq: event.seq, operation: .delete, blockId: block.blockId, text: block.text, position: block.position, kind: block.kind),
                by: deleted.userId, undoing: deleted.undoes)
        case DocumentEventType.blockMoved:
            guard let moved = event.decode(BlockMoved.self), let index = state.index(of: moved.blockId) else { return }
            var block = state.blocks.remove(at: index)
            let previousPosition = block.position
            block.position = moved.position
            state.place(block)
            state.record(
                UndoEntry(seq: event.seq, operation: .move, blockId: moved.blockId, position: previousPosition), by: moved.userId,
                undoing: moved.undoes)
        default:
            return
        }
    }
}

extension BlocksView.State {
    /// The index of the block `blockId`, if it exists.
    func index(of blockId: String) -> Int? {
        blocks.firstIndex { $0.blockId == blockId }
    }

    /// Inserts `block` where it sorts.
    mutating func place(_ block: BlocksView.Block) {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].precedes(block) { low = middle + 1 } else { high = middle }
        }
        blocks.insert(block, at: low)
    }
}
