import EventModel
import LMDB

/// A write as the fold leaves it: its rows not encoded yet.
private struct PendingLogViewWrite: Sendable {
    /// Which write it is: its end finds its entry by it.
    let id: UInt64
    let view: AnyLogProjection
    let from: Position
    let through: Position
    let state: JSONValue
    /// The summaries of other tenants' parts changed since the last write.
    let parts: [(tenant: Tenant, summary: JSONValue)]
    let rows: FrozenLogRows
}

extension EventStore {
    /// Stored under stream number 0 in `views` (stream numbers start at 1).
    static let logViewStream: UInt64 = 0
    /// Event data folded into a cross-object view per transaction, at most (about).
    static let logViewBytesMax = 16 << 20

    /// Folds up to `limit` log positions (and about 16 MiB of event data) after each cross-object
    /// view's position into its typed state, kept in memory from one call to the next (read from
    /// storage the first time, or when storage moved under it), and stores state, changed rows
    /// and position in one transaction (so every event is folded exactly once, whatever crashes)
    /// when `writeIntervalMilliseconds` have passed since it last did (0: every time). Returns
    /// the positions folded in all. Call it again while it returns more than 0; one caller at a
    /// time (a second one's writes are refused, not doubled).
    ///
    /// With `waitingForWrites` false, a write is left to commit while the next calls fold on
    /// (a view has one write in flight at most): the fold does not stop for the writer's queue.
    /// A call that waits first waits for the writes in flight, so when it returns everything it
    /// wrote is stored.
    @discardableResult
    public func catchUpLogViews(limit: Int = 16_384, writeIntervalMilliseconds: Int64 = 0, waitingForWrites: Bool = true) async throws(EventStoreError) -> Int {
        guard !logViews.isEmpty else { return 0 }
        if waitingForWrites { try await waitForLogViewWrites() }
        let folded = try foldLogViews(limit: limit, writeIntervalMilliseconds: writeIntervalMilliseconds)
        if waitingForWrites { try await waitForLogViewWrites() }
        return folded
    }

    /// ``catchUpLogViews(limit:writeIntervalMilliseconds:waitingForWrites:)`` without waiting for
    /// anything: the writes it starts commit in the background. For a thread of its own that
    /// folds (the server's), which no task scheduling delays.
    @discardableResult
    public func foldLogViews(limit: Int = 16_384, writeIntervalMilliseconds: Int64 = 0) throws(EventStoreError) -> Int {
        guard !logViews.isEmpty else { return 0 }
        var folded = 0
        // A view that fails is read again from storage next time; the others go on. The first
        // failure (this fold's, or a write's since the last call) is thrown once all are done.
        var failure = logViewCache.takeWriteFailure()
        let writes: [PendingLogViewWrite] = try read { transaction in
            var entries: [LogViewCache.Entry?] = []
            for view in logViews {
                let storedPosition = try storedPosition(of: view, in: transaction)
                do {
                    entries.append(
                        try logViewCache.with(view.name) { entry throws -> LogViewCache.Entry in
                            // A write in flight may have committed before its answer came back.
                            if let current = entry, current.storedPosition == storedPosition || current.writing?.through == storedPosition {
                                return current
                            }
                            let fresh = try logViewEntry(view, storedPosition: storedPosition, in: transaction)
                            entry = fresh
                            return fresh
                        })
                } catch {
                    entries.append(nil)
                    if failure == nil { failure = Self.storeError(error) }
                }
            }
            // One scan of the log for the views near the front (most often all at one position:
            // each event read and parsed once, not once per view); a view far behind (folding
            // again after a rebuild) gets a scan of its own, so the others do not wait for it.
            let front = entries.compactMap { $0?.position }.max() ?? 0
            let lead = Position(max(limit, 1))
            let groups = [
                logViews.indices.filter { entries[$0].map { $0.position + lead >= front } ?? false },
                logViews.indices.filter { entries[$0].map { $0.position + lead < front } ?? false },
            ]
            var writes: [PendingLogViewWrite] = []
            for group in groups where !group.isEmpty {
                let views = group.map { logViews[$0] }
                let from = group.compactMap { entries[$0]?.position }.min() ?? 0
                let scan = try logViewCache.withStreamNames { names in
                    try logEvents(for: views, after: from, limit: limit, names: &names, in: transaction)
                }
                for (bitIndex, index) in group.enumerated() {
                    guard let entry = entries[index] else { continue }
                    let view = logViews[index]
                    let bit = UInt64(1) << UInt64(bitIndex)
                    do {
                        try logViewCache.with(view.name) { cached in
                            guard scan.through > entry.position else { return }
                            let after = entry.position
                            entry.context.transaction = transaction
                            defer { entry.context.transaction = nil }
                            entry.state.fold(scan.events) { scan.views[$0] & bit != 0 && scan.events[$0].position > after }
                            do { try entry.context.check() } catch {
                                // Folded in part: start again from storage next time.
                                cached = nil
                                throw error
                            }
                            folded += Int(scan.through - entry.position)
                            entry.position = scan.through
                        }
                        try logViewCache.with(view.name) { cached in
                            let due = ContinuousClock.now - entry.storedAt >= .milliseconds(writeIntervalMilliseconds)
                            guard entry.position > entry.storedPosition, entry.writing == nil, due else { return }
                            do {
                                let state = try entry.state.json()
                                // Before the freeze, which starts the next set of changed parts.
                                let parts = try entry.state.changedPartSummaries()
                                let write = PendingLogViewWrite(
                                    id: logViewCache.nextWriteID(), view: view, from: entry.storedPosition, through: entry.position, state: state,
                                    parts: parts, rows: entry.state.freeze())
                                // Marked in the same locked stretch as the freeze: one write in flight.
                                entry.writing = (write.id, write.through, nil)
                                writes.append(write)
                            } catch {
                                cached = nil
                                throw error
                            }
                        }
                    } catch {
                        if failure == nil { failure = Self.storeError(error) }
                    }
                }
            }
            return writes
        }
        for write in writes {
            // Started under the lock the write's end takes too, so the end always finds it.
            logViewCache.with(write.view.name) { entry in
                guard let entry, entry.writing?.id == write.id else { return }
                entry.writing = (write.id, write.through, Task { await self.store(write) })
            }
        }
        if let failure { throw failure }
        return folded
    }

    /// `error` as the store's error (a reducer's or decoder's becomes a damaged record).
    private static func storeError(_ error: any Error) -> EventStoreError {
        if let error = error as? EventStoreError { return error }
        return .corruptRecord(position: 0, reason: "\(error)")
    }

    /// Waits for every cross-object view's write in flight; throws the first one's failure.
    private func waitForLogViewWrites() async throws(EventStoreError) {
        var failure: EventStoreError?
        for view in logViews {
            guard let task = logViewCache.with(view.name, { $0?.writing?.task ?? nil }) else { continue }
            if let error = await task.value, failure == nil { failure = error }
        }
        if let failure {
            _ = logViewCache.takeWriteFailure()  // said here, not again by the next fold
            throw failure
        }
    }

    /// Encodes the rows of `pending` and stores it, then moves its view's memory on (its rows
    /// stored leave memory); on a failure forgets what memory holds of the view, which folds
    /// again from storage.
    private func store(_ pending: PendingLogViewWrite) async -> EventStoreError? {
        let view = pending.view
        do {
            // Off the writer: the rows encoded and, for an ordered view, each one's place in the
            // order as stored (read as of the write's start), so the writer moves it without a lookup.
            let rows: [LogRowChange] = try read { transaction in
                var stored: [Tenant: StoredRows] = [:]
                func rows(of tenant: Tenant) -> StoredRows {
                    if let rows = stored[tenant] { return rows }
                    let rows = StoredRows(layout: layout, logView: AnyLogProjection.partName(view.name, tenant), version: view.version, bound: pending.from)
                    stored[tenant] = rows
                    return rows
                }
                let lookup: ((Tenant, String) throws -> [UInt8]?)? =
                    view.orderedBy == nil || pending.from == 0 ? nil : { tenant, key in try rows(of: tenant).version(of: key, in: transaction)?.json }
                do {
                    return try pending.rows.encoded(stored: lookup)
                } catch let error as EventStoreError {
                    throw error
                } catch {
                    throw EventStoreError.corruptRecord(position: pending.through, reason: "a row of the view \(view.name) does not encode: \(error)")
                }
            }
            // The smallest pieces while appends commit beside them (each holds them a few ms at
            // most); larger and larger ones while none do (a rebuild on an idle store).
            var pieces = LogViewWrite.Pieces(
                view: view, id: pending.id, from: pending.from, through: pending.through, state: pending.state, parts: pending.parts, rows: rows)
            var size = LogViewWrite.Pieces.sizeMin
            while let piece = pieces.next(atMost: size) {
                let head = commits.committedPosition
                try await submit { .storeLogView(piece, $0) }
                size = commits.committedPosition == head ? min(size * 2, LogViewWrite.Pieces.sizeMax) : LogViewWrite.Pieces.sizeMin
            }
        } catch {
            // Only the entry this write came from is forgotten; a write whose view is being
            // reset, or was since (its entry gone or another), no longer matters, nor does its
            // failure.
            let current = logViewCache.with(view.name) { entry -> Bool in
                guard entry?.writing?.id == pending.id else { return false }
                entry = nil
                return true
            }
            guard current, !logViewCache.isResetting(view.name) else { return nil }
            logViewCache.recordWriteFailure(error)
            return error
        }
        logViewCache.with(view.name) { entry in
            guard let current = entry, current.writing?.id == pending.id else { return }
            current.state.frozenStored(rows: logViewRows(view, bound: pending.through, context: current.context))
            current.storedPosition = pending.through
            current.storedAt = .now
            current.writing = nil
        }
        return nil
    }

    /// The position `view` is stored at (0: not stored, or by another version).
    func storedPosition(of view: AnyLogProjection, in transaction: ReadTransaction) throws -> Position {
        try StoredView.header(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction)
            .flatMap { $0.version == view.version ? $0.seq : nil } ?? 0
    }

    /// A view's typed state as stored at `storedPosition` (0: the initial state).
    func logViewEntry(_ view: AnyLogProjection, storedPosition: Position, in transaction: ReadTransaction) throws -> LogViewCache.Entry {
        var stored: JSONValue?
        if storedPosition > 0 {
            guard let read = try StoredView.read(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction) else {
                throw EventStoreError.corruptRecord(position: storedPosition, reason: "the stored state of the view \(view.name) does not parse")
            }
            stored = read.state
        }
        let context = RowReadContext()
        let state = try view.state(from: stored, rows: logViewRows(view, bound: storedPosition, context: context))
        return LogViewCache.Entry(state: state, context: context, position: storedPosition)
    }

    /// The rows of `view` in storage as of `bound`, read through `context`'s transaction.
    func logViewRows(_ view: AnyLogProjection, bound: Position, context: RowReadContext) -> LogViewRowSource {
        LogViewRowSource(layout: layout, name: view.name, version: view.version, bound: bound, context: context)
    }

    /// The events of the log after `position` that `view` reads (up to `limit` positions, about
    /// ``logViewBytesMax`` of data, and `upTo`), and the last position looked at.
    func logEvents(for view: AnyLogProjection, after position: Position, upTo last: Position = .max, limit: Int, in transaction: ReadTransaction) throws
        -> (events: [LogEvent], through: Position)
    {
        var names: [UInt64: (object: ObjectKey, branch: BranchName)?] = [:]
        let scan = try logEvents(for: [view], after: position, upTo: last, limit: limit, names: &names, in: transaction)
        return (scan.events, scan.through)
    }

    /// The events of the log after `position` that any of `views` (at most 64) reads, with the
    /// views that read each (`views[i]`: bit `j` for `views[j]`), up to `limit` positions, about
    /// ``logViewBytesMax`` of data and `upTo`; and the last position looked at. Each event is
    /// read and parsed once, whatever the number of views; `names` keeps the streams' names
    /// read (from one scan to the next, when the caller keeps them).
    func logEvents(
        for views: [AnyLogProjection], after position: Position, upTo last: Position = .max, limit: Int,
        names: inout [UInt64: (object: ObjectKey, branch: BranchName)?], in transaction: ReadTransaction
    ) throws -> (events: [LogEvent], views: [UInt64], through: Position) {
        precondition(views.count <= 64, "at most 64 cross-object views")
        let decoder = RecordDecoder(layout: layout)
        // The views reading each stream, for this scan's views.
        var readers: [UInt64: UInt64] = [:]
        var events: [LogEvent] = []
        var eventViews: [UInt64] = []
        var through = position
        try transaction.withCursor(layout.log) { log in
            var entry = try StoreKeys.withKey(position + 1) { try log.seek(atLeast: $0) }
            var scanned = 0
            var bytes = 0
            while let current = entry, scanned < limit, bytes < Self.logViewBytesMax, StoreKeys.integer(current.key) <= last {
                let position = StoreKeys.integer(current.key)
                let event = try decoder.decode(position: position, record: current.value, in: transaction)
                // Each stream's name is read and parsed once (not per event), and the views that
                // read its type found once per scan.
                if names[event.stream] == nil {
                    names[event.stream] = .some(Self.parse(try streamName(event.stream, in: transaction, position: position)))
                }
                let wanted: UInt64
                if let known = readers[event.stream] {
                    wanted = known
                } else {
                    var found: UInt64 = 0
                    if case .some(.some(let name)) = names[event.stream] {
                        let type = Array(name.object.type.name.utf8)
                        for (index, view) in views.enumerated() where view.objectTypes?.contains(type) ?? true { found |= UInt64(1) << UInt64(index) }
                    }
                    readers[event.stream] = found
                    wanted = found
                }
                if wanted != 0, case .some(.some(let name)) = names[event.stream] {
                    events.append(
                        LogEvent(
                            object: name.object, branch: name.branch, position: position, event: try RecordedEvent(event),
                            metadataJSON: event.metadata.count > 2 ? Array(event.metadata) : []))
                    eventViews.append(wanted)
                }
                through = position
                scanned += 1
                bytes += event.data.count
                entry = try log.next()
            }
        }
        return (events, eventViews, through)
    }

    /// A stream's object (with its tenant: each tenant's events fold into its own part of a
    /// view) and branch; nil for a name that does not parse. A branch deleted since
    /// (`NAME~deleted`) reads as the branch it was: its events were committed there, and a
    /// view folds the same whether it reached them before the deletion or after.
    private static func parse(_ name: StoredStreamName) -> (object: ObjectKey, branch: BranchName)? {
        var branchName = String(decoding: name.branch, as: UTF8.self)
        if branchName.hasSuffix(StreamName.deletedSuffix) { branchName.removeLast(StreamName.deletedSuffix.count) }
        guard let object = name.objectKey, let branch = try? BranchName(branchName)
        else { return nil }
        return (object, branch)
    }

    /// Forgets everything stored of the cross-object view `name` (its summary, snapshots, rows
    /// and order, in one transaction): it is folded again from the log's first event by the
    /// next catch-ups (a server's, in the background). What `verify` finding it damaged calls for.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` for an unknown view.
    public func resetLogView(_ name: String) async throws(EventStoreError) {
        guard let view = logViews.first(where: { $0.name == name }) else {
            throw .invalidRequest(field: "view", reason: "there is no cross-object view \(name); there are \(logViews.map(\.name).joined(separator: ", "))")
        }
        logViewCache.beginReset(name)
        defer { logViewCache.endReset(name) }
        try await submit { .resetLogView(view, $0) }
    }

    /// How far each cross-object view is behind the log: `name` → positions not folded yet.
    public func logViewLag() throws(EventStoreError) -> [String: UInt64] {
        Dictionary(uniqueKeysWithValues: try logViewPositions().map { ($0.view, $0.lag) })
    }

    /// Every cross-object view, in name order, with its version, the last log position folded
    /// into it and how far it is behind the log (read without its state).
    public func logViewPositions() throws(EventStoreError) -> [LogViewPosition] {
        let head = commits.committedPosition
        return try logViews.sorted { $0.name < $1.name }.map { view throws(EventStoreError) in
            var position = logViewCache.with(view.name) { $0?.position }
            if position == nil {
                position = try read { transaction in
                    try StoredView.header(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction)
                        .flatMap { $0.version == view.version ? $0.seq : nil }
                }
            }
            let folded = position ?? 0
            return LogViewPosition(view: view.name, version: view.version, position: folded, lag: head - min(head, folded))
        }
    }
}

extension EventStore {
    /// The other tenants' parts of `view` stored at its version, with their summaries, in key
    /// order.
    static func storedParts(of view: AnyLogProjection, layout: StoreLayout, in transaction: some ReadableTransaction) throws
        -> [(tenant: Tenant, summary: JSONValue)]
    {
        let prefix = StoredView.withKey(stream: logViewStream, name: view.name + "|") { Array($0) }
        var names: [String] = []
        try transaction.withCursor(layout.views) { cursor in
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.starts(with: prefix) {
                names.append(String(decoding: current.key[prefix.count...], as: UTF8.self))
                entry = try cursor.next()
            }
        }
        return try names.compactMap { name in
            guard let tenant = try? Tenant(name),
                let stored = try StoredView.read(stream: logViewStream, name: AnyLogProjection.partName(view.name, tenant), layout: layout, transaction: transaction),
                stored.version == view.version
            else { return nil }
            return (tenant, stored.state)
        }
    }
}

extension BatchApplier {
    /// The key of the mark saying which write is storing `view`'s pieces (in `rows`, beside its
    /// order): a write's pieces are stored only while the mark is theirs.
    static func writeMark(of view: AnyLogProjection) -> [UInt8] {
        RowKeys.prefix(stream: EventStore.logViewStream, view: view.name + "\u{1}write", version: view.version)
    }

    /// Positions between the snapshots of a cross-object view's summary, at least: what a read
    /// as of a position folds on top of the newest one before it, at most (about).
    static let logViewSnapshotInterval: Position = 16_384

    /// Deletes what is stored of `view` at its version: its summary and checkpoint, snapshots,
    /// rows and order.
    func reset(_ view: AnyLogProjection) throws -> Result<Void, EventStoreError> {
        try StoredView.withKey(stream: EventStore.logViewStream, name: view.name) { _ = try transaction.delete(layout.views, key: $0) }
        var prefixes = [RowKeys.prefix(stream: EventStore.logViewStream, view: view.name, version: view.version)]
        prefixes.append(LogViewOrderIndex(layout: layout, view: view.name, version: view.version).orderPrefix)
        prefixes.append(Self.writeMark(of: view))
        for prefix in prefixes { try deleteAll(in: layout.rows, prefix: prefix) }
        let snapshots = SnapshotKeys.withKey(stream: EventStore.logViewStream, name: view.name, seq: 0) { Array($0.dropLast(8)) }
        try deleteAll(in: layout.snapshots, prefix: snapshots)
        // Every tenant's part, of any version: summaries, rows, order and snapshots (`view|`).
        let parts = StoredView.withKey(stream: EventStore.logViewStream, name: view.name + "|") { Array($0) }
        for database in [layout.views, layout.rows, layout.snapshots] { try deleteAll(in: database, prefix: parts) }
        return .success(())
    }

    /// The other tenants' parts of `view` stored at its version, with their summaries.
    func storedParts(of view: AnyLogProjection) throws -> [(tenant: Tenant, summary: JSONValue)] {
        try EventStore.storedParts(of: view, layout: layout, in: transaction)
    }

    /// Deletes every entry of `database` whose key starts with `prefix`.
    private func deleteAll(in database: Database, prefix: [UInt8]) throws {
        var keys: [[UInt8]] = []
        try transaction.withCursor(database) { cursor in
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.starts(with: prefix) {
                keys.append(Array(current.key))
                entry = try cursor.next()
            }
        }
        for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(database, key: $0) } }
    }

    /// Stores a piece of a cross-object view's write (``LogViewWrite/Part``) if the view's
    /// checkpoint is still the one the fold started from and the view is still marked as being
    /// written by this write (its first piece sets the mark); the places left, once the
    /// checkpoint is the write's own, or nothing is removed.
    func apply(_ write: LogViewWrite) throws -> Result<Void, EventStoreError> {
        let view = write.view
        let stored = try StoredView.header(stream: EventStore.logViewStream, name: view.name, layout: layout, transaction: transaction)
        let current = stored.flatMap { $0.version == view.version ? $0.seq : nil } ?? 0
        // Each tenant's part has its rows and order apart (the default tenant's are the view's own).
        var orders: [Tenant: LogViewOrderIndex] = [:]
        func order(_ tenant: Tenant) -> LogViewOrderIndex? {
            guard view.orderedBy != nil else { return nil }
            if let order = orders[tenant] { return order }
            let order = LogViewOrderIndex(layout: layout, view: AnyLogProjection.partName(view.name, tenant), version: view.version)
            orders[tenant] = order
            return order
        }
        let mark = Self.writeMark(of: view)
        let marked = try mark.withUnsafeBytes { try transaction.get(layout.rows, key: $0) }.map { StoreKeys.integer($0) }
        if case .leftPlaces(let rows) = write.part {
            // Rebuilt since (checkpoint or mark gone): the places went with it.
            guard current == write.through, marked == write.id else { return .success(()) }
            for change in rows { if let previous = change.previousSortKey { try order(change.tenant)?.remove(change.key, at: previous, in: transaction) } }
            return .success(())
        }
        guard current == write.from else {
            return .failure(.invalidRequest(field: "view", reason: "\(view.name) moved to \(current) while it was folded from \(write.from)"))
        }
        if write.isFirst {
            if write.part.isClear { _ = try reset(view) }
            try mark.withUnsafeBytes { key in try StoreKeys.withKey(write.id) { try transaction.put(layout.rows, key: key, value: $0) } }
        } else if marked != write.id {
            return .failure(.invalidRequest(field: "view", reason: "\(view.name) was rebuilt while it was written"))
        }
        switch write.part {
        case .clear:
            break
        case .rows(let rows):
            var prefixes: [Tenant: [UInt8]] = [:]
            var escaped: [UInt8] = []
            for change in rows {
                let prefix =
                    prefixes[change.tenant]
                    ?? RowKeys.prefix(stream: EventStore.logViewStream, view: AnyLogProjection.partName(view.name, change.tenant), version: view.version)
                prefixes[change.tenant] = prefix
                escaped.removeAll(keepingCapacity: true)
                let isLong = RowKeys.appendEscaped(change.key, to: &escaped)
                let key = escaped.withUnsafeBytes { RowKeys.recordKey(prefix: prefix, escaped: $0, seq: write.through) }
                let value = RowRecord.encode(json: change.json, key: change.key, longKey: isLong)
                try key.withUnsafeBytes { key in try value.withUnsafeBytes { try transaction.put(layout.rows, key: key, value: $0) } }
                if let sortKey = change.sortKey, sortKey != change.previousSortKey { try order(change.tenant)?.place(change.key, at: sortKey, in: transaction) }
            }
        case .checkpoint(let state, let parts):
            // The other tenants' parts changed by the write, then the view's own (whose position
            // makes all of it visible), each with a snapshot when one is due.
            let snapshotDue = write.from == 0 || write.through / Self.logViewSnapshotInterval != write.from / Self.logViewSnapshotInterval
            var snapshotted = parts
            if snapshotDue {
                // The parts this write left as they were get their snapshot too: a read as of a
                // position folds from a part's snapshot, which must not lag far behind.
                let changed = Set(parts.map(\.tenant))
                for (tenant, stored) in try storedParts(of: view) where !changed.contains(tenant) { snapshotted.append((tenant, stored)) }
            }
            for (tenant, summary) in snapshotted + [(Tenant.default, state)] {
                let name = AnyLogProjection.partName(view.name, tenant)
                if tenant.isDefault || parts.contains(where: { $0.tenant == tenant }) {
                    try StoredView.write(
                        stream: EventStore.logViewStream, name: name, version: view.version, seq: write.through, state: summary, layout: layout,
                        transaction: transaction)
                }
                if snapshotDue {
                    var bytes = JSONWriter()
                    bytes.value(summary)
                    try SnapshotWriter().write(
                        stream: EventStore.logViewStream, name: name, version: view.version, seq: write.through, summary: bytes.bytes, layout: layout,
                        transaction: transaction)
                }
            }
        case .leftPlaces:
            break
        }
        return .success(())
    }
}
