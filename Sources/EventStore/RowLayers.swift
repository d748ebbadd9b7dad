import EventModel

/// A row as a layer of changes holds it: the row (nil when removed) and the seq of the event
/// that changed it last (the seq its stored version gets).
struct RowSlot<Row: Sendable>: Sendable {
    var row: Row?
    var seq: Seq
}

/// Layers of row changes over rows below them (storage, or another storage): the top layer
/// wins. Shared by the writer's live rows, the scratch rows a merge checks invariants on, and
/// the rows a reader folds.
enum RowLayers {
    /// The change to `key` in the topmost layer that has one.
    static func slot<Row>(_ key: ByteKey, in layers: [[ByteKey: RowSlot<Row>]]) -> RowSlot<Row>? {
        for layer in layers {
            if let slot = layer[key] { return slot }
        }
        return nil
    }

    /// The row with the nearest key after (or before) `key` among those starting with `prefix`,
    /// the layers over `below` (which answers the same question for the rows under the layers).
    static func neighbour<Row>(
        of key: String, within prefix: String, after: Bool, layers: [[ByteKey: RowSlot<Row>]],
        below: (String) throws -> (key: String, row: Row)?
    ) rethrows -> (key: String, row: Row)? {
        let origin = ByteKey(key)
        func isNearer(_ candidate: ByteKey, than current: ByteKey) -> Bool { after ? candidate.precedes(current) : current.precedes(candidate) }
        func isPast(_ candidate: ByteKey) -> Bool { after ? origin.precedes(candidate) : candidate.precedes(origin) }
        // The nearest key the layers hold a row for (a key a higher layer changed is that layer's).
        var nearest: (key: ByteKey, row: Row)?
        for (index, layer) in layers.enumerated() {
            for (candidate, slot) in layer where candidate.hasPrefix(prefix) && isPast(candidate) {
                guard let row = slot.row, nearest.map({ isNearer(candidate, than: $0.key) }) ?? true else { continue }
                if layers[..<index].contains(where: { $0[candidate] != nil }) { continue }
                nearest = (candidate, row)
            }
        }
        // The rows below, skipping those the layers changed; stop at the layers' nearest.
        var cursor = key
        while let found = try below(cursor) {
            let foundKey = ByteKey(found.key)
            if let nearest, !isNearer(foundKey, than: nearest.key) { break }
            if slot(foundKey, in: layers) == nil { return found }
            cursor = found.key
        }
        return nearest.map { ($0.key.string, $0.row) }
    }

    /// The changes the layers hold for keys `query` matches, each key's topmost, in key order.
    static func matches<Row>(_ query: RowQuery, in layers: [[ByteKey: RowSlot<Row>]]) -> [(key: ByteKey, slot: RowSlot<Row>)] {
        var found: [ByteKey: RowSlot<Row>] = [:]
        for layer in layers.reversed() {
            for (key, slot) in layer where query.matches(key.string) { found[key] = slot }
        }
        return found.sorted { $0.key.precedes($1.key) }.map { ($0.key, $0.value) }
    }
}
