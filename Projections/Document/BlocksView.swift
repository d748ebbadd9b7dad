import EventModel

/// The `blocks` view of a document: its blocks, and, for each user here, the block operations
/// they can undo.
///
/// Keyed: each block is a row under `b/BLOCK`, and again under `o/POSITION BLOCK` so that the
/// `o/` rows list the document in order (fractional positions sort byte by byte), so editing a
/// block of a ten-thousand-block document touches its two rows. Who is here and their undo
/// stacks are the summary. An event about a block that does not exist, or inserting one that
/// does, changes nothing.
public struct BlocksView: KeyedProjection {
    /// The block count, the users here and what they can undo.
    public struct Summary: Codable, Sendable, Equatable {
        /// How many blocks the document has.
        public var blocks = 0
        /// The users here, each with the operations they can undo, by user id. Who is not here
        /// cannot edit; leaving (or being dropped as idle) forgets what one could undo. (The
        /// editing deciders read this view alone, so it follows joins and leaves too.)
        public var editors: [String: Editor] = [:]
        /// Blocks at a position another block holds too: 0, unless a merge brought two blocks to
        /// the same place (the `blocks-in-order` invariant refuses it).
        public var tiedBlocks = 0

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
    }

    public typealias Row = Block

    public let name = "blocks"
    public let version = 2
    public var initialSummary: Summary { Summary() }

    public init() {}

    /// The prefix of the rows that list the blocks in document order.
    public static let orderPrefix = "o/"

    /// The row key of the block `blockId` (ids past 200 bytes go by a hash, so keys stay short).
    public static func blockKey(_ blockId: String) -> String { "b/" + identifierKey(blockId) }

    /// The row key of `block` in document order: its position, then its id.
    public static func orderKey(_ block: Block) -> String { orderKey(position: block.position, blockId: block.blockId) }

    static func orderKey(position: String, blockId: String) -> String { orderPrefix + position + " " + identifierKey(blockId) }

    private static func identifierKey(_ blockId: String) -> String {
        guard blockId.utf8.count > 200 else { return blockId }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in blockId.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        let digits = String(hash, radix: 16)
        return "~" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    public func apply(_ summary: inout Summary, _ rows: Rows<Block>, _ event: RecordedEvent) {
        switch event.type {
        case DocumentEventType.joined:
            guard let joined = event.decode(Joined.self), summary.editors[joined.userId] == nil else { return }
            summary.editors[joined.userId] = Editor()
        case DocumentEventType.left:
            guard let left = event.decode(Left.self) else { return }
            summary.editors[left.userId] = nil
        case DocumentEventType.blockInserted:
            guard let inserted = event.decode(BlockInserted.self), rows[Self.blockKey(inserted.blockId)] == nil else { return }
            Self.place(Block(blockId: inserted.blockId, kind: inserted.kind ?? .paragraph, text: inserted.text, position: inserted.position), &summary, rows)
            summary.blocks += 1
            summary.record(UndoEntry(seq: event.seq, operation: .insert, blockId: inserted.blockId), by: inserted.userId, undoing: inserted.undoes)
        case DocumentEventType.blockUpdated:
            guard let updated = event.decode(BlockUpdated.self), var block = rows[Self.blockKey(updated.blockId)] else { return }
            let previousText = block.text
            block.text = updated.text
            rows[Self.blockKey(block.blockId)] = block
            rows[Self.orderKey(block)] = block
            summary.record(
                UndoEntry(seq: event.seq, operation: .update, blockId: updated.blockId, text: previousText), by: updated.userId,
                undoing: updated.undoes)
        case DocumentEventType.blockDeleted:
            guard let deleted = event.decode(BlockDeleted.self), let block = rows[Self.blockKey(deleted.blockId)] else { return }
            Self.unplace(block, &summary, rows)
            summary.blocks -= 1
            summary.record(
                UndoEntry(seq: event.seq, operation: .delete, blockId: block.blockId, text: block.text, position: block.position, kind: block.kind),
                by: deleted.userId, undoing: deleted.undoes)
        case DocumentEventType.blockMoved:
            guard let moved = event.decode(BlockMoved.self), var block = rows[Self.blockKey(moved.blockId)] else { return }
            let previousPosition = block.position
            Self.unplace(block, &summary, rows)
            block.position = moved.position
            Self.place(block, &summary, rows)
            summary.record(
                UndoEntry(seq: event.seq, operation: .move, blockId: moved.blockId, position: previousPosition), by: moved.userId,
                undoing: moved.undoes)
        default:
            return
        }
    }

    /// Puts `block` in its rows, counting a tie when its position is taken.
    private static func place(_ block: Block, _ summary: inout Summary, _ rows: Rows<Block>) {
        let samePosition = orderPrefix + block.position + " "
        if rows.next(after: samePosition, within: samePosition) != nil { summary.tiedBlocks += 1 }
        rows[blockKey(block.blockId)] = block
        rows[orderKey(block)] = block
    }

    /// Takes `block` out of its rows, counting a tie less when another block holds its position.
    private static func unplace(_ block: Block, _ summary: inout Summary, _ rows: Rows<Block>) {
        rows[blockKey(block.blockId)] = nil
        rows[orderKey(block)] = nil
        let samePosition = orderPrefix + block.position + " "
        if rows.next(after: samePosition, within: samePosition) != nil { summary.tiedBlocks -= 1 }
    }
}

extension KeyedState where Summary == BlocksView.Summary, Row == BlocksView.Block {
    /// The block `blockId`, if the document has it.
    func block(_ blockId: String) -> BlocksView.Block? { rows[BlocksView.blockKey(blockId)] }
}
