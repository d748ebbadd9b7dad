import EventModel

extension KeyedState where Summary == BlocksView.Summary, Row == BlocksView.Block {
    /// The position of a block put right after the block `after` and/or right before the block
    /// `before`; at the end of the document when neither is given. The block `moving` (being
    /// moved) is left out of the order, so it is never its own neighbour.
    /// - Throws: `INVALID_POSITION` when a neighbour is unknown, when `after` and `before` are not
    ///   next to each other, or when no position of at most 256 digits lies between them.
    func position(after: String?, before: String?, moving: String? = nil) throws(Rejection) -> String {
        func neighbour(_ blockId: String, _ side: String) throws(Rejection) -> BlocksView.Block {
            guard blockId != moving, let block = block(blockId) else {
                throw .invalidPosition("the block \(blockId) given as \(side) is not in the document", reason: "unknown", [side: .string(blockId)])
            }
            return block
        }
        let lower: String?
        let upper: String?
        switch (after, before) {
        case (let after?, let before?):
            let afterBlock = try neighbour(after, "after")
            let beforeBlock = try neighbour(before, "before")
            let next = block(following: BlocksView.orderKey(afterBlock), skipping: moving)
            guard next?.blockId == beforeBlock.blockId else {
                throw .invalidPosition(
                    "\(after) and \(before) are not neighbours", reason: "notNeighbours",
                    ["after": .string(after), "before": .string(before), "next": next.map { .string($0.blockId) } ?? .null])
            }
            (lower, upper) = (afterBlock.position, beforeBlock.position)
        case (let after?, nil):
            let afterBlock = try neighbour(after, "after")
            (lower, upper) = (afterBlock.position, block(following: BlocksView.orderKey(afterBlock), skipping: moving)?.position)
        case (nil, let before?):
            let beforeBlock = try neighbour(before, "before")
            (lower, upper) = (block(preceding: BlocksView.orderKey(beforeBlock), skipping: moving)?.position, beforeBlock.position)
        case (nil, nil):
            (lower, upper) = (block(preceding: Self.endKey, skipping: moving)?.position, nil)
        }
        return try Self.position(between: lower, upper, after: after, before: before)
    }

    /// `wanted` if no block but `moving` holds it, else a position right after the block that
    /// does: where an undo puts a block back.
    /// - Throws: `INVALID_POSITION` when no position of at most 256 digits is left there.
    func position(near wanted: String, moving: String? = nil) throws(Rejection) -> String {
        // The last block at `wanted`: the one before the first key past every `o/WANTED ...` key.
        guard let holder = block(preceding: BlocksView.orderPrefix + wanted + "!", skipping: moving), holder.position == wanted else { return wanted }
        var next = block(following: BlocksView.orderKey(holder), skipping: moving)
        while let candidate = next, candidate.position == wanted {
            next = block(following: BlocksView.orderKey(candidate), skipping: moving)
        }
        return try Self.position(between: wanted, next?.position, after: holder.blockId, before: next?.blockId)
    }

    /// A key after every block's row in document order.
    private static var endKey: String { "o0" }

    /// The block after the order key `key`, the block `moving` left out.
    private func block(following key: String, skipping moving: String?) -> BlocksView.Block? {
        var found = rows.next(after: key, within: BlocksView.orderPrefix)
        while let current = found, current.row.blockId == moving { found = rows.next(after: current.key, within: BlocksView.orderPrefix) }
        return found?.row
    }

    /// The block before the order key `key`, the block `moving` left out.
    private func block(preceding key: String, skipping moving: String?) -> BlocksView.Block? {
        var found = rows.previous(before: key, within: BlocksView.orderPrefix)
        while let current = found, current.row.blockId == moving { found = rows.previous(before: current.key, within: BlocksView.orderPrefix) }
        return found?.row
    }

    private static func position(between lower: String?, _ upper: String?, after: String?, before: String?) throws(Rejection) -> String {
        guard let position = FractionalPosition.between(lower, upper) else {
            throw .invalidPosition(
                "no position of at most \(FractionalPosition.lengthMax) digits is left there", reason: "noRoom",
                ["after": after.map(JSONValue.string) ?? .null, "before": before.map(JSONValue.string) ?? .null])
        }
        return position
    }
}
