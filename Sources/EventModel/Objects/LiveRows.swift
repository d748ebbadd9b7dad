/// A live keyed view's rows in memory, for the engine's single writer: one cell per key changed
/// since the last checkpoint, holding the committed row and the change the batch being written
/// makes, over the rows below (in storage, as of the last checkpoint).
///
/// Writing a row touches its cell only: a batch's changes are published by moving each touched
/// cell's pending change to its committed one, not by copying them into another table, and a
/// checkpoint sets aside the cells changed since the last one (in key order, encoded off the
/// writer) without copying the rest.
///
/// Threads: the writer calls everything. It adds and removes cells, and moves changes to
/// committed, only with its object's lock held exclusively; readers read committed rows with
/// the lock shared (``committedRow(_:)``, ``committedMatches(_:)``), never the pending ones.
public final class LiveRows<Row>: RowStorage, @unchecked Sendable {
    /// One key's rows.
    @usableFromInline
    final class Cell {
        @usableFromInline let key: ByteKey
        /// The committed change (nil: none since the last checkpoint; the row below holds).
        @usableFromInline var committed: RowSlot<Row>?
        /// The change of the batch being written.
        @usableFromInline var pending: RowSlot<Row>?
        /// Whether it is in ``touched``.
        @usableFromInline var isTouched = false
        /// Whether it is in ``dirty``.
        @usableFromInline var isDirty = false
        /// The checkpoint cycle it was last changed in (see ``LiveRows/cycle``).
        @usableFromInline var changedCycle = 0

        @usableFromInline
        init(key: ByteKey) { self.key = key }
    }

    @usableFromInline var cells: [ByteKey: Cell]
    /// Cells made by the batch being written (added to ``cells`` when it commits).
    @usableFromInline var newCells: [ByteKey: Cell] = [:]
    /// Cells the batch being written changed.
    @usableFromInline var touched: [Cell] = []
    /// Cells committed since the last ``freeze()``.
    @usableFromInline var dirty: [Cell] = []
    /// The changes a checkpoint is writing.
    @usableFromInline var frozen: [(key: ByteKey, slot: RowSlot<Row>)]?
    @usableFromInline var belowRows: any RowStorage<Row>
    /// Checkpoints started so far: a cell changed in the last two cycles stays in memory once
    /// stored (the rows changing now are likely to change again), older ones leave.
    @usableFromInline var cycle = 0
    /// The keys the checkpoint before the last one stored: those not changed since leave next.
    var storedBefore: [ByteKey] = []

    /// Rows over `below`, with `changes` committed already (and not checkpointed).
    public init(below: any RowStorage<Row>, changes: [ByteKey: RowSlot<Row>] = [:]) {
        belowRows = below
        cells = [:]
        for (key, slot) in changes {
            let cell = Cell(key: key)
            cell.committed = slot
            cell.isDirty = true
            cells[key] = cell
            dirty.append(cell)
        }
    }

    /// The rows under the changes.
    public var below: any RowStorage<Row> { belowRows }

    @inlinable
    func cell(_ key: ByteKey) -> Cell? {
        if newCells.isEmpty { return cells[key] }
        return newCells[key] ?? cells[key]
    }

    @inlinable
    func touchedCell(_ key: ByteKey) -> Cell {
        let cell: Cell
        if let existing = self.cell(key) {
            cell = existing
        } else {
            cell = Cell(key: key)
            newCells[key] = cell
        }
        if !cell.isTouched {
            cell.isTouched = true
            cell.changedCycle = cycle
            touched.append(cell)
        }
        return cell
    }

    @inlinable
    public func row(_ key: String) -> Row? {
        if let cell = cell(ByteKey(key)) {
            if let pending = cell.pending { return pending.row }
            if let committed = cell.committed { return committed.row }
        }
        return belowRows.row(key)
    }

    @inlinable
    public func setRow(_ key: String, _ row: Row?, seq: Seq) {
        touchedCell(ByteKey(key)).pending = RowSlot(row: row, seq: seq)
    }

    @inlinable
    public func modifyRow(_ key: String, seq: Seq, _ body: (inout Row?) -> Void) {
        let cell = touchedCell(ByteKey(key))
        var row: Row?
        if let pending = cell.pending {
            // Taken out of the cell, a row changed earlier in the batch is changed in place.
            cell.pending = nil
            row = pending.row
        } else if let committed = cell.committed {
            row = committed.row
        } else {
            row = belowRows.row(key)
        }
        body(&row)
        cell.pending = RowSlot(row: row, seq: seq)
    }

    public func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? {
        var layer: [ByteKey: RowSlot<Row>] = [:]
        for cells in [cells, newCells] {
            for (cellKey, cell) in cells where cellKey.hasPrefix(prefix) {
                if let slot = cell.pending ?? cell.committed { layer[cellKey] = slot }
            }
        }
        return RowLayers.neighbour(of: key, within: prefix, after: after, layers: [layer]) { belowRows.neighbour(of: $0, within: prefix, after: after) }
    }

    /// Makes the batch's changes committed. Lock held exclusively.
    @inlinable
    public func commitBatch() {
        for cell in touched {
            cell.committed = cell.pending
            cell.pending = nil
            cell.isTouched = false
            if !cell.isDirty {
                cell.isDirty = true
                dirty.append(cell)
            }
        }
        touched.removeAll(keepingCapacity: true)
        if !newCells.isEmpty {
            for (key, cell) in newCells { cells[key] = cell }
            newCells.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets the batch's changes (its transaction failed).
    @inlinable
    public func discardBatch() {
        for cell in touched {
            cell.pending = nil
            cell.isTouched = false
        }
        touched.removeAll(keepingCapacity: true)
        newCells.removeAll(keepingCapacity: true)
    }

    /// Rows committed since the last ``freeze()``.
    public var changedCount: Int { dirty.count }
    /// Cells held in memory.
    public var heldCount: Int { cells.count + newCells.count }
    /// Whether a checkpoint's changes are being written.
    public var hasFrozen: Bool { frozen != nil }

    /// Starts a checkpoint: the rows committed since the last one, in no order (sort them off
    /// the writer; also kept until ``frozenStored(below:)``). Lock held exclusively, between
    /// batches.
    public func freeze() -> [(key: ByteKey, slot: RowSlot<Row>)] {
        if let frozen { return frozen }
        precondition(touched.isEmpty, "a checkpoint starts between batches")
        var changes: [(key: ByteKey, slot: RowSlot<Row>)] = []
        changes.reserveCapacity(dirty.count)
        for cell in dirty {
            cell.isDirty = false
            if let committed = cell.committed { changes.append((cell.key, committed)) }
        }
        dirty.removeAll(keepingCapacity: true)
        frozen = changes
        cycle += 1
        return changes
    }

    /// The checkpoint's rows are stored, and `below` reads them: cells not changed in the last
    /// two checkpoint cycles leave memory (every one of them is stored). Lock held exclusively.
    public func frozenStored(below: any RowStorage<Row>) {
        belowRows = below
        for key in storedBefore {
            guard let cell = cells[key], !cell.isDirty, cell.pending == nil, cell.changedCycle < cycle - 1 else { continue }
            cells[key] = nil
        }
        storedBefore = (frozen ?? []).map { $0.key }
        frozen = nil
    }

    /// The committed row under `key`: nil when the cells have none (read below), `.some(nil)`
    /// when it was removed. Lock held (shared).
    public func committedRow(_ key: String) -> RowSlot<Row>? { cells[ByteKey(key)]?.committed }

    /// The committed changes `query` matches, in key order. Lock held (shared).
    public func committedMatches(_ query: RowQuery) -> [(key: ByteKey, slot: RowSlot<Row>)] {
        var found: [(key: ByteKey, slot: RowSlot<Row>)] = []
        if case .key(let key) = query.match {
            if let slot = cells[ByteKey(key)]?.committed { found.append((ByteKey(key), slot)) }
            return found
        }
        for (key, cell) in cells where query.matches(key.string) {
            if let committed = cell.committed { found.append((key, committed)) }
        }
        return found.sorted { $0.key.precedes($1.key) }
    }
}
