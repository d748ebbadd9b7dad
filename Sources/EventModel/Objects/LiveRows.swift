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
        /// The batch it was last changed in (see ``LiveRows/batch``).
        @usableFromInline var changedBatch = 0

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
    /// The changes of each checkpoint started and not stored yet, oldest first (a checkpoint
    /// can start while the one before is written, so checkpoints stay an interval apart).
    @usableFromInline var frozen: [[(key: ByteKey, slot: RowSlot<Row>)]] = []
    @usableFromInline var belowRows: any RowStorage<Row>
    /// Checkpoints started so far.
    @usableFromInline var cycle = 0
    /// Checkpoints stored so far: a cell changed in cycle `c` is stored once `c < storedCycles`.
    @usableFromInline var storedCycles = 0
    /// Batches committed so far: a stored cell no batch changed for ``keptBatches`` of them
    /// leaves memory (the rows changing now are likely to change again; the others are read
    /// from storage when asked for).
    @usableFromInline var batch = 0

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
            cell.changedBatch = batch
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

    /// Makes the batch's changes committed, and sweeps a few cells stored long enough ago
    /// (``sweep(_:)``). Lock held exclusively.
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
        batch += 1
        sweep(Self.sweepPerBatch)
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
    @inlinable
    public var changedCount: Int { dirty.count }
    /// Cells held in memory.
    @inlinable
    public var heldCount: Int { cells.count + newCells.count }
    /// Cells held whose rows are stored already (``dropStored()`` lets them go).
    @inlinable
    public var storedCount: Int { cells.count - dirty.count }
    /// Whether a checkpoint's changes are being written.
    public var hasFrozen: Bool { !frozen.isEmpty }

    /// Starts a checkpoint: the rows committed since the last one started, in no order (sort
    /// them off the writer; their keys are kept until ``frozenStored(below:)``). Checkpoints
    /// are stored in the order they start. Lock held exclusively, between batches.
    @inlinable
    public func freeze() -> [(key: ByteKey, slot: RowSlot<Row>)] {
        precondition(touched.isEmpty, "a checkpoint starts between batches")
        var changes: [(key: ByteKey, slot: RowSlot<Row>)] = []
        changes.reserveCapacity(dirty.count)
        for cell in dirty {
            cell.isDirty = false
            if let committed = cell.committed { changes.append((cell.key, committed)) }
        }
        dirty.removeAll(keepingCapacity: true)
        frozen.append(changes)
        cycle += 1
        return changes
    }

    /// The oldest checkpoint started is stored, and `below` reads its rows: their cells are
    /// swept from now on (``sweep(_:)``). Lock held exclusively.
    @inlinable
    public func frozenStored(below: any RowStorage<Row>) {
        belowRows = below
        guard !frozen.isEmpty else { return }
        let changes = frozen.removeFirst()
        storedCycles += 1
        if !changes.isEmpty { sweeping.append((batch, changes.map { $0.key })) }
    }

    /// Keys of cells to look at (``sweep(_:)``): each checkpoint's, with the batch it was
    /// stored after, oldest first.
    @usableFromInline var sweeping: [(batch: Int, keys: [ByteKey])] = []
    @usableFromInline var sweepIndex = 0

    /// Looks at up to `limit` keys of the checkpoints stored ``keptBatches`` batches ago or
    /// more: a cell not changed since its checkpoint leaves memory (reads find its row below);
    /// a cell changed since is left (the next checkpoint lists it again). A few per batch, so a
    /// checkpoint of ten thousand rows does not stall the writer for milliseconds. Lock held
    /// exclusively, between batches.
    @inlinable
    func sweep(_ limit: Int) {
        var budget = limit
        var leaving: [Cell] = []
        while budget > 0, let first = sweeping.first, first.batch + Self.keptBatches < batch {
            let end = min(first.keys.count, sweepIndex + budget)
            for key in first.keys[sweepIndex..<end] {
                // A cell changed in the cycle of a checkpoint not stored yet is not below yet.
                guard let cell = cells[key], !cell.isDirty, cell.pending == nil, cell.changedCycle < storedCycles else { continue }
                cells[key] = nil
                leaving.append(cell)
            }
            budget -= end - sweepIndex
            if end == first.keys.count {
                sweeping.removeFirst()
                sweepIndex = 0
            } else {
                sweepIndex = end
            }
        }
        Self.release(leaving)
    }

    /// Keys looked at per batch, at most.
    @usableFromInline static var sweepPerBatch: Int { 512 }
    /// The batches a stored cell stays in memory after it last changed.
    @usableFromInline static var keptBatches: Int { 64 }

    /// Lets go of `cells` on another thread: freeing thousands of rows (their cells, their
    /// values) costs milliseconds the writer does not have to spend.
    @inlinable
    static func release(_ cells: [Cell]) {
        guard !cells.isEmpty else { return }
        let box = UncheckedCells(cells)
        Task.detached(priority: .background) { box.drop() }
    }

    /// Cells handed to another thread to be freed there, no longer reachable from the rows.
    @usableFromInline
    final class UncheckedCells: @unchecked Sendable {
        @usableFromInline var cells: [Cell]
        @inlinable init(_ cells: [Cell]) { self.cells = cells }
        @inlinable func drop() { cells = [] }
    }

    /// Lets go of every cell whose row is stored already (not changed since the last
    /// checkpoint): reads find those rows below. Returns how many left. Lock held exclusively,
    /// between batches, with no checkpoint being written (its rows are not below yet).
    @inlinable
    public func dropStored() -> Int {
        precondition(frozen.isEmpty && touched.isEmpty && newCells.isEmpty, "stored rows leave between batches, with no checkpoint being written")
        var leaving: [Cell] = []
        leaving.reserveCapacity(cells.count - dirty.count)
        for cell in cells.values where !cell.isDirty { leaving.append(cell) }
        for cell in leaving { cells[cell.key] = nil }
        Self.release(leaving)
        sweeping = []
        sweepIndex = 0
        return leaving.count
    }

    /// The committed row under `key`: nil when the cells have none (read below), `.some(nil)`
    /// when it was removed. Lock held (shared).
    public func committedRow(_ key: String) -> RowSlot<Row>? { cells[ByteKey(key)]?.committed }

    /// Calls `body` with every committed change not stored yet (changed since the last
    /// checkpoint started, or in a checkpoint still being written), in no order: what storage
    /// does not know. Costs those changes, not the cells held. Lock held (shared).
    public func forEachUnstored(_ body: (ByteKey, RowSlot<Row>) throws -> Void) rethrows {
        for cell in dirty { if let committed = cell.committed { try body(cell.key, committed) } }
        for changes in frozen {
            for (key, _) in changes {
                guard let cell = cells[key], !cell.isDirty, cell.changedCycle >= storedCycles, let committed = cell.committed else { continue }
                try body(key, committed)
            }
        }
    }

    /// The committed change of `key` if storage does not hold it yet (see ``forEachUnstored(_:)``).
    /// Lock held (shared).
    public func unstoredRow(_ key: String) -> RowSlot<Row>? {
        guard let cell = cells[ByteKey(key)], cell.isDirty || cell.changedCycle >= storedCycles else { return nil }
        return cell.committed
    }

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

/// What the engine's writer does to a live keyed view's rows between batches, as code
/// specialized for the row type: made (inlined) where the view's type is known, as
/// ``AnyProjection`` does, because the engine holds its views with their types erased and a
/// loop over rows of an unknown type costs a call per value copied.
public struct LiveRowsOperations: Sendable {
    /// ``LiveRows/commitBatch()``.
    public let commitBatch: @Sendable (AnyObject) -> Void
    /// ``LiveRows/freeze()``: its array, to cast back to `[(key: ByteKey, slot: RowSlot<Row>)]`.
    public let freeze: @Sendable (AnyObject) -> Any
    /// ``LiveRows/frozenStored(below:)``, `below` an `any RowStorage<Row>`.
    public let frozenStored: @Sendable (AnyObject, AnyObject) -> Void
    /// ``LiveRows/dropStored()``.
    public let dropStored: @Sendable (AnyObject) -> Int

    /// The operations on `LiveRows<Row>`.
    @inlinable
    public init<Row>(_: LiveRows<Row>.Type) {
        commitBatch = { unsafeDowncast($0, to: LiveRows<Row>.self).commitBatch() }
        freeze = { unsafeDowncast($0, to: LiveRows<Row>.self).freeze() }
        frozenStored = { rows, below in
            guard let below = below as? any RowStorage<Row> else { preconditionFailure("rows below of another row type") }
            unsafeDowncast(rows, to: LiveRows<Row>.self).frozenStored(below: below)
        }
        dropStored = { unsafeDowncast($0, to: LiveRows<Row>.self).dropStored() }
    }
}
