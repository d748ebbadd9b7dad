import EventModel

/// The refusals of the document's deciders, each with its stable code and its facts.
extension Rejection {
    /// `USER_NOT_JOINED` (409): only a user who is here may edit, move a cursor, undo or leave.
    static func userNotJoined(_ userId: String) -> Rejection {
        Rejection(code: "USER_NOT_JOINED", message: "user \(userId) has not joined the document", facts: ["userId": .string(userId)])
    }

    /// `BLOCK_NOT_FOUND` (404).
    static func blockNotFound(_ blockId: String) -> Rejection {
        Rejection(code: "BLOCK_NOT_FOUND", status: 404, message: "the document has no block \(blockId)", facts: ["blockId": .string(blockId)])
    }

    /// `BLOCK_EXISTS` (409): an insert names a block id in use.
    static func blockExists(_ blockId: String, position: String) -> Rejection {
        Rejection(
            code: "BLOCK_EXISTS", message: "the document already has a block \(blockId)",
            facts: ["blockId": .string(blockId), "position": .string(position)])
    }

    /// `NOTHING_TO_UNDO` (409): the user has no operation left whose undo still applies;
    /// `skipped` counts those that no longer do (their block is gone, or back).
    static func nothingToUndo(_ userId: String, skipped: Int) -> Rejection {
        Rejection(
            code: "NOTHING_TO_UNDO", message: "user \(userId) has nothing to undo",
            facts: ["userId": .string(userId), "skipped": .number(Double(skipped))])
    }

    /// `INVALID_POSITION` (409): `after`/`before` do not name a place in the document;
    /// `reason` is `unknown`, `notNeighbours`, `self` or `noRoom`.
    static func invalidPosition(_ message: String, reason: String, _ facts: [String: JSONValue]) -> Rejection {
        Rejection(code: "INVALID_POSITION", message: message, facts: facts.merging(["reason": .string(reason)]) { _, new in new })
    }

    /// `INVALID_COMMAND` (422), as for a command that does not decode: a member breaks a limit
    /// of the event it would go into.
    static func invalidMember(_ pointer: String, _ problem: String, _ facts: [String: JSONValue] = [:]) -> Rejection {
        Rejection(
            code: "INVALID_COMMAND", status: 422, message: "\(pointer) \(problem)",
            facts: facts.merging(["pointer": .string(pointer)]) { _, new in new })
    }
}

/// Runs a document decision: its events, or the ``Rejection`` it threw. Encoding the events'
/// plain structs cannot fail, so any other error is a programming error, answered with a 500
/// rejection rather than a crash of the writer.
func decision(_ decide: () throws -> [NewEvent]) -> Result<[NewEvent], Rejection> {
    do { return .success(try decide()) } catch let rejection as Rejection { return .failure(rejection) } catch {
        return .failure(Rejection(code: "INTERNAL", status: 500, message: "cannot encode the event: \(error)"))
    }
}
