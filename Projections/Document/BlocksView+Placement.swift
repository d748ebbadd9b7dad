import EventModel

extension BlocksView.State {
    /// The position of a block put right after the block `after` and/or right before the block
    /// `before`; at the end of the document when neither is given. The block `moving` (being
    /// moved) is left out of the order, so it is never its own neighbour.
    /// - Throws: `INVALID_POSITION` when a neighbour is unknown, when `after` and `before` are not
    ///   next to each other, or when no position of at most 256 digits lies between them.
    func position(after: String?, before: String?, moving: String? = nil) throws(Rejection) -> String {
        let order = moving.map { moving in blocks.filter { $0.blockId != moving } } ?? blocks
        func index(_ blockId: String, _ side: String) throws(Rejection) -> Int {
            guard let index = order.firstIndex(where: { $0.blockId == blockId }) else {
                throw .invalidPosition("the block \(blockId) given as \(side) is not in the document", reason: "unknown", [side: .string(blockId)])
            }
            return index
        }
        let lower: String?
        let upper: String?
        switch (after, before) {
        case (let after?, let before?):
            let afterIndex = try index(after, "after")
            let beforeIndex = try index(before, "before")
            guard beforeIndex == afterIndex + 1 else {
                let next: JSONValue = afterIndex + 1 < order.count ? .string(order[afterIndex + 1].blockId) : .null
                throw .invalidPosition(
                    "\(after) and \(before) are not neighbours", reason: "notNeighbours",
                    ["after": .string(after), "before": .string(before), "next": next])
            }
            (lower, upper) = (order[afterIndex].position, order[beforeIndex].position)
        case (let after?, nil):
            let afterIndex = try index(after, "after")
            (lower, upper) = (order[afterIndex].position, afterIndex + 1 < order.count ? order[afterIndex + 1].position : nil)
        case (nil, let before?):
            let beforeIndex = try index(before, "before")
            (lower, upper) = (beforeIndex > 0 ? order[beforeIndex - 1].position : nil, order[beforeIndex].position)
        case (nil, nil):
            (lower, upper) = (order.last?.position, nil)
        }
        return try Self.position(between: lower, upper, after: after, before: before)
    }

    /// `wanted` if no block but `moving` holds it, else a position right after the block that
    /// does: where an undo puts a block back.
    /// - Throws: `INVALID_POSITION` when no position of at most 256 digits is left there.
    func position(near wanted: String, moving: String? = nil) throws(Rejection) -> String {
        guard let holder = blocks.lastIndex(where: { $0.position == wanted && $0.blockId != moving }) else { return wanted }
        let next = blocks[(holder + 1)...].first { $0.position != wanted && $0.blockId != moving }
        return try Self.position(between: wanted, next?.position, after: blocks[holder].blockId, before: next?.blockId)
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
