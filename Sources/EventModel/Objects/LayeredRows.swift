/// A row as a layer of changes holds it: the row (nil when removed) and the seq of the event
/// that changed it last (the seq its stored version gets).
public struct RowSlot<Row> {
    /// The row; nil when removed.
    public var row: Row?
    /// The seq of the event that changed it last.
    public var seq: Seq

    /// A change to `row` by the event `seq`.
    @inlinable
    public init(row: Row?, seq: Seq) {
        self.row = row
        self.seq = seq
    }
}

extension RowSlot: Sendable where Row: Sendable {}

/// A keyed view's rows as layers of changes over the rows below them (in storage, for the
/// engine): the changes being made (``batch``), then older changes, newest first
/// (``committed``), then ``below``. The top layer wins.
///
/// What the engine keeps live and folds readers' views into. Its hot methods are inlinable, so
/// a reducer's reads and writes compile to code specialized for its row type.
///
/// Used by one thread at a time for writing; the engine guards ``committed`` for readers.
public final class LayeredRows<Row>: RowStorage, @unchecked Sendable {
    @usableFromInline var batchLayer: [ByteKey: RowSlot<Row>] = [:]
    @usableFromInline var committedLayers: [[ByteKey: RowSlot<Row>]]
    @usableFromInline var belowRows: any RowStorage<Row>

    /// The changes being made (for the engine: by the batch being written).
    public var batch: [ByteKey: RowSlot<Row>] { batchLayer }
    /// Older changes, newest first (for the engine: committed since the last checkpoint began,
    /// then those of the checkpoint being written).
    public var committed: [[ByteKey: RowSlot<Row>]] { committedLayers }
    /// The rows under the layers.
    public var below: any RowStorage<Row> { belowRows }

    /// Changes over `below`: `changes` committed already (none by default).
    public init(below: any RowStorage<Row>, changes: [ByteKey: RowSlot<Row>] = [:]) {
        belowRows = below
        committedLayers = [changes]
    }

    @inlinable
    public func row(_ key: String) -> Row? {
        let byteKey = ByteKey(key)
        if let slot = batchLayer[byteKey] { return slot.row }
        return olderRow(byteKey, key)
    }

    @inlinable
    public func setRow(_ key: String, _ row: Row?, seq: Seq) { batchLayer[ByteKey(key)] = RowSlot(row: row, seq: seq) }

    @inlinable
    public func modifyRow(_ key: String, seq: Seq, _ body: (inout Row?) -> Void) {
        let byteKey = ByteKey(key)
        // Taken out of the batch, a row changed earlier in it is changed in place.
        var row: Row?
        if let slot = batchLayer.removeValue(forKey: byteKey) { row = slot.row } else { row = olderRow(byteKey, key) }
        body(&row)
        batchLayer[byteKey] = RowSlot(row: row, seq: seq)
    }

    /// The row under the batch: the newest committed change, else the row below.
    @inlinable
    func olderRow(_ byteKey: ByteKey, _ key: String) -> Row? {
        for layer in committedLayers {
            if let slot = layer[byteKey] { return slot.row }
        }
        return belowRows.row(key)
    }

    public func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? {
        RowLayers.neighbour(of: key, within: prefix, after: after, layers: [batchLayer] + committedLayers) { belowRows.neighbour(of: $0, within: prefix, after: after) }
    }

    /// Rows changed since the last ``freeze()`` (committed).
    public var changedCount: Int { committedLayers[0].count }
    /// Changes held in all.
    public var heldCount: Int { committedLayers.reduce(batchLayer.count) { $0 + $1.count } }
    /// Whether the changes of a ``freeze()`` are still held.
    public var hasFrozen: Bool { committedLayers.count > 1 }

    /// Makes the batch's changes committed.
    @inlinable
    public func commitBatch() {
        guard !batchLayer.isEmpty else { return }
        if committedLayers[0].isEmpty {
            swap(&committedLayers[0], &batchLayer)
        } else {
            for (key, slot) in batchLayer { committedLayers[0][key] = slot }
            batchLayer.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets the batch's changes.
    @inlinable
    public func discardBatch() { batchLayer.removeAll(keepingCapacity: true) }

    /// Sets the committed changes aside (returned) while new ones gather in a fresh layer: a
    /// checkpoint of them starts. Between batches, one at a time.
    public func freeze() -> [ByteKey: RowSlot<Row>] {
        precondition(batchLayer.isEmpty && committedLayers.count == 1, "one checkpoint at a time, between batches")
        committedLayers.insert([:], at: 0)
        return committedLayers[1]
    }

    /// The changes set aside by ``freeze()`` are below now: `below` holds them.
    public func frozenStored(below: any RowStorage<Row>) {
        if committedLayers.count > 1 { committedLayers.removeLast() }
        belowRows = below
    }

    /// The committed changes `query` matches, each key's newest, in key order.
    public func committedMatches(_ query: RowQuery) -> [(key: ByteKey, slot: RowSlot<Row>)] { RowLayers.matches(query, in: committedLayers) }
}

/// Layers of row changes over rows below them: the top layer wins.
public enum RowLayers {
    /// The change to `key` in the topmost layer that has one.
    @inlinable
    public static func slot<Row>(_ key: ByteKey, in layers: [[ByteKey: RowSlot<Row>]]) -> RowSlot<Row>? {
        for layer in layers {
            if let slot = layer[key] { return slot }
        }
        return nil
    }

    /// The row with the nearest key after (or before) `key` among those starting with `prefix`,
    /// the layers over `below` (which answers the same question for the rows under the layers).
    public static func neighbour<Row>(
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
    public static func matches<Row>(_ query: RowQuery, in layers: [[ByteKey: RowSlot<Row>]]) -> [(key: ByteKey, slot: RowSlot<Row>)] {
        var found: [ByteKey: RowSlot<Row>] = [:]
        for layer in layers.reversed() {
            for (key, slot) in layer where query.matches(key.string) { found[key] = slot }
        }
        return found.sorted { $0.key.precedes($1.key) }.map { ($0.key, $0.value) }
    }
}

/// No rows: what a fold from the initial state has under its changes.
public final class NoRows<Row>: RowStorage, @unchecked Sendable {
    /// Nothing.
    public init() {}
    public func row(_ key: String) -> Row? { nil }
    public func setRow(_ key: String, _ row: Row?, seq: Seq) { preconditionFailure("rows are written to a layer above") }
    public func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? { nil }
}
