import EventModel
import LMDB

/// A read of a cross-object view: its summary, or a page of its rows.
public enum LogViewAnswer: Sendable, Equatable {
    /// The summary.
    case state(LogViewRead)
    /// Rows.
    case rows(LogViewRows)

    /// The log position the answer reflects.
    public var position: Position {
        switch self {
        case .state(let read): read.position
        case .rows(let rows): rows.position
        }
    }

    /// The answer as JSON (``LogViewRead/json(name:head:)``, ``LogViewRows/json(name:head:orderedBy:)``),
    /// over HTTP and from `evtool views` alike.
    public func json(view: AnyLogProjection, head: Position) -> [UInt8] {
        switch self {
        case .state(let read): read.json(name: view.name, head: head)
        case .rows(let rows): rows.json(name: view.name, head: head, orderedBy: rows.ordered ? view.orderedBy : nil)
        }
    }
}

extension EventStore {
    /// The cross-object view `name` (nil for an unknown view), its summary: as folded so far by
    /// ``catchUpLogViews(limit:writeIntervalMilliseconds:)`` in this process, else as stored; a
    /// view not folded yet, or folded by another version, reads as its initial state at position 0.
    public func readLogView(_ name: String, tenant: Tenant = .default) throws(EventStoreError) -> LogViewRead? {
        guard case .state(let read)? = try readLogView(name, LogViewQuery(.state), tenant: tenant) else { return nil }
        return read
    }

    /// What `query` asks of `tenant`'s part of the cross-object view `name` (nil for an unknown
    /// view): folded from that tenant's events only.
    ///
    /// Without `at`, as far as the view has folded: its rows changed since its last write are
    /// read from memory, the others from storage as of that write. With `at`, as of that log
    /// position: folded from the newest snapshot of the summary at or before it, with the rows
    /// stored then, over the events after it (a fold of up to a write's worth of events).
    /// - Throws: ``EventStoreError/positionPastHead(field:position:head:)`` for an `at` past the
    ///   log's head; ``EventStoreError/corruptRecord(position:reason:)`` for a damaged record.
    public func readLogView(_ name: String, _ query: LogViewQuery, tenant: Tenant = .default) throws(EventStoreError) -> LogViewAnswer? {
        guard let view = logViews.first(where: { $0.name == name }) else { return nil }
        if let at = query.at {
            let head = commits.committedPosition
            guard at <= head else { throw .positionPastHead(field: "at", position: at, head: head) }
            return try readLogView(view.part(tenant), query.read, at: at)
        }
        if case .ordered(let descending, let after, let limit) = query.read {
            return try orderedRows(view, tenant: tenant, descending: descending, after: after, limit: limit)
        }
        let partName = AnyLogProjection.partName(name, tenant)
        // What memory holds: the position folded, the one stored, and the changes between.
        let held: (position: Position, stored: Position, answer: LogViewAnswer?, changes: [(key: ByteKey, slot: RowSlot<[UInt8]>)])?
        do {
            held = try logViewCache.with(name) { entry in
                guard let entry else { return nil }
                switch query.read {
                case .state:
                    // A part memory does not hold is as stored as of the entry's stored position.
                    guard let summary = try entry.state.json(of: tenant) else { return (entry.position, entry.storedPosition, nil, []) }
                    var writer = JSONWriter()
                    writer.value(summary)
                    return (entry.position, entry.storedPosition, .state(LogViewRead(version: view.version, position: entry.position, state: writer.bytes)), [])
                case .rows(let rows):
                    return (entry.position, entry.storedPosition, nil, try entry.state.changes(matching: rows, tenant: tenant))
                case .ordered:
                    preconditionFailure("read above")
                }
            }
        } catch {
            throw .corruptRecord(position: 0, reason: "the view \(name) does not encode: \(error)")
        }
        if let answer = held?.answer { return answer }
        return try read { transaction in
            let position: Position
            let stored: Position
            if let held {
                (position, stored) = (held.position, held.stored)
            } else {
                stored = try storedPosition(of: view, in: transaction)
                position = stored
            }
            let rows = StoredRows(layout: layout, logView: partName, version: view.version, bound: stored)
            switch query.read {
            case .state:
                var writer = JSONWriter()
                if stored > 0, let read = try StoredView.read(stream: Self.logViewStream, name: partName, layout: layout, transaction: transaction),
                    read.version == view.version, read.seq <= stored
                {
                    writer.value(read.state)
                } else {
                    writer.value(try view.state(from: nil, rows: logViewRows(view, bound: 0, context: RowReadContext())).json())
                }
                return .state(LogViewRead(version: view.version, position: held?.position ?? stored, state: writer.bytes))
            case .rows(let query):
                let page = try RowPaging.rows(query, changes: held?.changes ?? [], stored: rows, encode: { $0 }, in: transaction)
                return .rows(LogViewRows(version: view.version, position: position, rows: page.rows.map { LogViewRows.Row(key: $0.key, json: $0.json, sortKey: nil) }, next: page.next))
            case .ordered:
                preconditionFailure("read above")
            }
        }
    }

    /// The rows in `view`'s order, read with the view's memory locked: the first rows of those
    /// changed in memory merged with the stored order (whose entries of rows held in memory are
    /// passed over: memory holds them as they are now). Costs the rows held in memory (their
    /// sort keys, not their JSON) and the page's rows in storage.
    private func orderedRows(
        _ view: AnyLogProjection, tenant: Tenant, descending: Bool, after: LogViewOrderCursor?, limit: Int
    ) throws(EventStoreError) -> LogViewAnswer {
        let partName = AnyLogProjection.partName(view.name, tenant)
        func precedes(_ a: (Int64, String), _ b: (Int64, String)) -> Bool {
            if a.0 != b.0 { return descending ? a.0 > b.0 : a.0 < b.0 }
            return descending ? ByteKey(b.1).precedes(ByteKey(a.1)) : ByteKey(a.1).precedes(ByteKey(b.1))
        }
        // The transaction first, then the view's memory (the fold takes them in that order too);
        // a transaction older than the write memory says is stored is taken again.
        do {
            for _ in 0..<Self.orderedReadTries {
                let answer = try read { transaction -> LogViewAnswer? in
                    let header = try storedPosition(of: view, in: transaction)
                    return try logViewCache.with(view.name) { entry throws -> LogViewAnswer? in
                        if let entry, entry.storedPosition > header { return nil }
                        let stored = entry?.storedPosition ?? header
                        let memory =
                            try entry?.state.orderedChanges(descending: descending, after: after.map { ($0.sortKey, $0.key) }, limit: limit + 1, tenant: tenant) ?? []
                        let rows = StoredRows(layout: layout, logView: partName, version: view.version, bound: stored)
                        var fromStorage: [LogViewRows.Row] = []
                        try LogViewOrderIndex(layout: layout, view: partName, version: view.version).walk(descending: descending, after: after, in: transaction) {
                            key, sortKey in
                            guard entry?.state.holds(key, tenant: tenant) != true else { return true }
                            // A place the row has left, or not reached as of `stored` (a write's
                            // in pieces): passed over.
                            guard let json = try rows.version(of: key, in: transaction)?.json, try view.sortKey(ofRow: json) == sortKey else { return true }
                            fromStorage.append(LogViewRows.Row(key: key, json: json, sortKey: sortKey))
                            return fromStorage.count <= limit
                        }
                        // Merged: the page and one more, which says whether more follow.
                        var merged: [LogViewRows.Row] = []
                        var (memoryIndex, storageIndex) = (0, 0)
                        while merged.count <= limit, memoryIndex < memory.count || storageIndex < fromStorage.count {
                            let takeMemory: Bool
                            if memoryIndex == memory.count {
                                takeMemory = false
                            } else if storageIndex == fromStorage.count {
                                takeMemory = true
                            } else {
                                takeMemory = precedes((memory[memoryIndex].sortKey!, memory[memoryIndex].key), (fromStorage[storageIndex].sortKey!, fromStorage[storageIndex].key))
                            }
                            if takeMemory {
                                let change = memory[memoryIndex]
                                merged.append(LogViewRows.Row(key: change.key, json: change.json ?? [], sortKey: change.sortKey))
                                memoryIndex += 1
                            } else {
                                merged.append(fromStorage[storageIndex])
                                storageIndex += 1
                            }
                        }
                        var next: String?
                        if merged.count > limit {
                            merged.removeLast(merged.count - limit)
                            next = LogViewOrderCursor(sortKey: merged[merged.count - 1].sortKey!, key: merged[merged.count - 1].key).description
                        }
                        return .rows(LogViewRows(version: view.version, position: entry?.position ?? stored, rows: merged, next: next, ordered: true))
                    }
                }
                if let answer { return answer }
            }
            // Writes kept landing between the transaction and the lock: busy, ask again.
            throw EventStoreError.queueFull
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw .corruptRecord(position: 0, reason: "the view \(view.name) does not encode: \(error)")
        }
    }

    /// Times an ordered read takes a new transaction when the view's memory has moved past the
    /// one it read, before it gives up.
    static let orderedReadTries = 8

    /// Log positions a read as of a position folds at most over its snapshot.
    static let asOfFoldMax: Position = 1 << 20

    /// `view` as of the log position `at`: the newest snapshot of its summary at or before it,
    /// with its rows as stored then, and the events after it folded on top.
    private func readLogView(_ view: AnyLogProjection, _ request: LogViewQuery.Read, at: Position) throws(EventStoreError) -> LogViewAnswer {
        try read { transaction in
            let snapshot = try layout.snapshot(name: view.name, version: view.version, stream: Self.logViewStream, atMost: at, in: transaction)
            let base = snapshot?.seq ?? 0
            guard at - base <= Self.asOfFoldMax else {
                throw EventStoreError.invalidRequest(
                    field: "at",
                    reason: "is \(at - base) positions past the view's nearest snapshot (\(base)); a read as of a position folds at most \(Self.asOfFoldMax) (a view folding again after a rebuild has none yet)")
            }
            let context = RowReadContext(transaction)
            let state = try view.state(from: snapshot?.summary, rows: logViewRows(view, bound: base, context: context))
            var position = base
            while position < at {
                let events = try logEvents(for: view, after: position, upTo: at, limit: 16_384, in: transaction)
                guard events.through > position else { break }
                if !events.events.isEmpty { state.fold(events.events) }
                try context.check()
                position = events.through
            }
            switch request {
            case .state:
                var writer = JSONWriter()
                writer.value(try state.json())
                return .state(LogViewRead(version: view.version, position: at, state: writer.bytes))
            case .rows(let query):
                let stored = StoredRows(layout: layout, logView: view.name, version: view.version, bound: base)
                let page = try RowPaging.rows(query, changes: try state.changes(matching: query), stored: stored, encode: { $0 }, in: transaction)
                return .rows(LogViewRows(version: view.version, position: at, rows: page.rows.map { LogViewRows.Row(key: $0.key, json: $0.json, sortKey: nil) }, next: page.next))
            case .ordered:
                throw EventStoreError.invalidRequest(field: "at", reason: "reads the view as of a position, and order reads its current order")
            }
        }
    }
}
