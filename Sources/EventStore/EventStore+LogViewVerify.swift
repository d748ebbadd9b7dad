import EventModel
import LMDB

/// What `verify` found wrong with a cross-object view.
public struct LogViewFinding: Sendable, Equatable {
    /// The view.
    public let view: String
    /// What disagrees: `state`, `snapshot@POSITION`, `row KEY`, `order KEY`.
    public let subject: String
    /// Why, in words.
    public let problem: String
}

/// What `verify` checked of the cross-object views.
public struct LogViewVerifySummary: Sendable, Equatable {
    /// Views checked (those stored at least once).
    public var views = 0
    /// Snapshots of their summaries compared.
    public var snapshots = 0
    /// Rows compared (and their places in the order).
    public var rows = 0
    /// Places in the order that their rows have left (kept by a write cut short by a crash, or
    /// one still being stored): readers pass over them. Not a disagreement.
    public var stalePlaces = 0
    /// Events folded.
    public var events: UInt64 = 0
    /// Disagreements found.
    public var findings: [LogViewFinding] = []

    /// Nothing checked yet.
    public init() {}
}

extension EventStore {
    /// Folds every cross-object view again from the log's first event, in memory, through its
    /// stored position (each tenant's part from its tenant's events), and compares: each snapshot of its summary on the way, the stored
    /// summary, every stored row as of that position, and the order of its rows. A difference
    /// means a non-deterministic reducer or damaged storage. `progress` gets (views done,
    /// views). All of a view's rows are held in memory while it is checked.
    public func verifyLogViews(progress: (Int, Int) -> Void = { _, _ in }) throws(EventStoreError) -> LogViewVerifySummary {
        var summary = LogViewVerifySummary()
        for (index, view) in logViews.enumerated() {
            // Each tenant's part apart, folded from its tenant's events: the default's, then the others stored.
            try read { transaction in
                try verify(view.part(.default), into: &summary, in: transaction)
                for (tenant, _) in try Self.storedParts(of: view, layout: layout, in: transaction) {
                    try verify(view.part(tenant), into: &summary, in: transaction)
                }
            }
            progress(index + 1, logViews.count)
        }
        return summary
    }

    private func verify(_ view: AnyLogProjection, into summary: inout LogViewVerifySummary, in transaction: ReadTransaction) throws {
        func finding(_ subject: String, _ problem: String) { summary.findings.append(LogViewFinding(view: view.name, subject: subject, problem: problem)) }
        guard let stored = try StoredView.read(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction),
            stored.version == view.version, stored.seq > 0
        else { return }
        summary.views += 1
        let context = RowReadContext(transaction)
        let state = try view.state(from: nil, rows: logViewRows(view, bound: 0, context: context))
        var position: Position = 0
        for snapshot in try logViewSnapshots(view, through: stored.seq, in: transaction) + [(stored.seq, stored.state)] {
            while position < snapshot.0 {
                let events = try logEvents(for: view, after: position, upTo: snapshot.0, limit: 16_384, in: transaction)
                guard events.through > position else { break }
                if !events.events.isEmpty { state.fold(events.events) }
                try context.check()
                summary.events += UInt64(events.events.count)
                position = events.through
            }
            let folded = try state.json()
            if folded != snapshot.1 {
                finding(snapshot.0 == stored.seq ? "state" : "snapshot@\(snapshot.0)", "the summary folded from the log differs from the one stored at \(snapshot.0)")
            }
            if snapshot.0 != stored.seq { summary.snapshots += 1 }
        }
        guard view.isKeyed else { return }
        // Rows: every one folded (removed ones as nil) against those stored as of the position.
        var expected: [String: LogRowChange] = [:]
        for change in try state.allChanges() where change.json != nil { expected[change.key] = change }
        let rows = StoredRows(layout: layout, logView: view.name, version: view.version, bound: stored.seq)
        var next = try rows.neighbour(of: "", within: "", after: true, including: true, in: transaction)
        var seen = Set<String>()
        while let row = next {
            seen.insert(row.key)
            summary.rows += 1
            if let want = expected[row.key] {
                if want.json != row.json { finding("row \(row.key)", "stored as \(String(decoding: row.json, as: UTF8.self)), folded as \(String(decoding: want.json ?? [], as: UTF8.self))") }
            } else {
                finding("row \(row.key)", "stored, and the fold from the log has no such row")
            }
            next = try rows.neighbour(of: row.key, within: "", after: true, in: transaction)
        }
        for key in expected.keys.sorted() where !seen.contains(key) { finding("row \(key)", "folded from the log, and not stored") }
        guard view.orderedBy != nil else { return }
        var placed = Set<String>()
        try LogViewOrderIndex(layout: layout, view: view.name, version: view.version).walk(descending: false, after: nil, in: transaction) { key, sortKey in
            if let want = expected[key], want.sortKey == sortKey {
                placed.insert(key)
            } else {
                summary.stalePlaces += 1
            }
            return true
        }
        for (key, change) in expected.sorted(by: { $0.key < $1.key }) {
            if let json = change.json, try view.sortKey(ofRow: json) != change.sortKey {
                finding("order \(key)", "the row's sort key is \(change.sortKey.map(String.init) ?? "none") and, from the row as encoded, something else: readers would pass over its place")
            } else if let sortKey = change.sortKey, !placed.contains(key) {
                finding("order \(key)", "has no place in the order at \(sortKey), where the fold from the log puts it")
            }
        }
    }

    /// The positions and summaries of `view`'s snapshots before `position`, oldest first.
    private func logViewSnapshots(_ view: AnyLogProjection, through position: Position, in transaction: ReadTransaction) throws -> [(Position, JSONValue)] {
        var found: [(Position, JSONValue)] = []
        var bound = position - 1
        while bound > 0, let snapshot = try layout.snapshot(name: view.name, version: view.version, stream: Self.logViewStream, atMost: bound, in: transaction) {
            found.append((snapshot.seq, snapshot.summary))
            guard snapshot.seq > 0 else { break }
            bound = snapshot.seq - 1
        }
        return found.reversed()
    }
}
