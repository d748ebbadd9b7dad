import EventModel

/// The data of document events, as `Schemas/document.schema.json` declares them.
///
/// A block event that carries `undoes` is an undo: it reverts the operation recorded by the
/// event with that seq (same user), instead of being an operation that can itself be undone.
enum DocumentEventType {
    static let joined = "Joined"
    static let left = "Left"
    static let cursorMoved = "CursorMoved"
    static let blockInserted = "BlockInserted"
    static let blockUpdated = "BlockUpdated"
    static let blockDeleted = "BlockDeleted"
    static let blockMoved = "BlockMoved"
}

/// What a block holds, as the schema's `kind` enumerates it.
public enum BlockKind: String, Codable, Sendable {
    case paragraph, heading, list, code, quote
}

/// Why a user left: they said so, or the idle timer dropped them.
enum LeaveReason: String, Codable, Sendable {
    case left, idle
}

struct Joined: Codable, Sendable {
    var userId: String
    var userName: String
}

struct Left: Codable, Sendable {
    var userId: String
    var reason: LeaveReason?
}

struct CursorMoved: Codable, Sendable {
    var userId: String
    var blockId: String
    var offset: Int
}

struct BlockInserted: Codable, Sendable {
    var userId: String
    var blockId: String
    var position: String
    var kind: BlockKind?
    var text: String
    var undoes: Seq?
}

struct BlockUpdated: Codable, Sendable {
    var userId: String
    var blockId: String
    var text: String
    var previousText: String?
    var undoes: Seq?
}

struct BlockDeleted: Codable, Sendable {
    var userId: String
    var blockId: String
    var undoes: Seq?
}

struct BlockMoved: Codable, Sendable {
    var userId: String
    var blockId: String
    var position: String
    var previousPosition: String?
    var undoes: Seq?
}

/// The members every block event shares, for the views that only care who acted on what.
struct BlockEventReference: Codable, Sendable {
    var userId: String
    var blockId: String
}
