import EventModel

/// One piece of a cross-object view's write: the new state from folding the log from `from`
/// through `through`. A write is stored in pieces, each a writer command of its own, so that
/// appends commit between them and no transaction holds the writer for long, whatever the
/// number of rows changed: ``Pieces`` cuts them.
struct LogViewWrite {
    /// What a piece stores.
    enum Part {
        /// Clears what the view's version left stored before (its first write, from 0, only):
        /// rows, order and snapshots of an earlier deployment of the version are not this fold's.
        case clear
        /// Rows as of `through` and their new places in the order. Reads are bounded by the
        /// stored position, so they see none of it before the checkpoint; left by a crash
        /// before it, the rows are what the log folds to at `through` (true whatever follows)
        /// and the places are passed over by reads, which check each against its row.
        case rows(ArraySlice<LogRowChange>)
        /// The summary and the position, with the summaries of the other tenants' parts the
        /// write changed (and every so often a snapshot of each): the write's commit.
        case checkpoint(JSONValue, parts: [(tenant: Tenant, summary: JSONValue)])
        /// The places in the order that rows changed by the write have left, removed once the
        /// checkpoint is stored (reads pass over them until then).
        case leftPlaces(ArraySlice<LogRowChange>)

        var isClear: Bool { if case .clear = self { true } else { false } }
    }

    let view: AnyLogProjection
    /// Which write the piece is of. A write's first piece marks the view as being written by
    /// it, and every other piece is stored only while the mark is its own: a rebuild between two
    /// pieces (which deletes the mark) fails the rest, even once the refold has brought the
    /// view's position back to where the write started.
    let id: UInt64
    /// Whether it is the write's first piece, which sets the mark.
    let isFirst: Bool
    let from: Position
    let through: Position
    let part: Part

    /// A write's pieces in the order they are to be stored, each once the one before has
    /// committed: the clear (from 0), the rows, the checkpoint, the places left. The caller
    /// says how many rows (or places) each piece of them takes.
    struct Pieces {
        /// Rows a piece takes, at least (and while appends commit beside the write's pieces):
        /// about 5 ms of the writer's commit when each lands on a page of its own (a million
        /// rows stored, changed at random).
        static let sizeMin = 64
        /// Rows a piece takes, at most (grown to while no append commits beside the pieces).
        static let sizeMax = 8_192
        private let view: AnyLogProjection
        private let id: UInt64
        private let from: Position
        private let through: Position
        private let state: JSONValue
        private let parts: [(tenant: Tenant, summary: JSONValue)]
        private let rows: [LogRowChange]
        private let left: [LogRowChange]
        private var next: (part: Int, index: Int)
        private var isStarted = false

        /// The pieces of the write of `rows` (and `state`, and the other tenants' `parts`) from
        /// `from` through `through`.
        init(
            view: AnyLogProjection, id: UInt64, from: Position, through: Position, state: JSONValue, parts: [(tenant: Tenant, summary: JSONValue)] = [],
            rows: [LogRowChange]
        ) {
            (self.view, self.id, self.from, self.through, self.state, self.parts, self.rows) = (view, id, from, through, state, parts, rows)
            left = view.orderedBy == nil ? [] : rows.filter { $0.previousSortKey != nil && $0.previousSortKey != $0.sortKey }
            next = (from == 0 ? 0 : 1, 0)
        }

        /// The next piece, with `atMost` rows (or places); nil once all are cut.
        mutating func next(atMost: Int) -> LogViewWrite? {
            let size = max(atMost, 1)
            while true {
                let part: Part
                switch next.part {
                case 0:
                    part = .clear
                    next = (1, 0)
                case 1 where next.index < rows.count:
                    let end = min(next.index + size, rows.count)
                    part = .rows(rows[next.index..<end])
                    next.index = end
                case 1:
                    next = (2, 0)
                    continue
                case 2:
                    part = .checkpoint(state, parts: parts)
                    next = (3, 0)
                case 3 where next.index < left.count:
                    let end = min(next.index + size, left.count)
                    part = .leftPlaces(left[next.index..<end])
                    next.index = end
                default:
                    return nil
                }
                defer { isStarted = true }
                return LogViewWrite(view: view, id: id, isFirst: !isStarted, from: from, through: through, part: part)
            }
        }
    }
}
