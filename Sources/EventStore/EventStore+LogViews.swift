import EventModel
import LMDB

/// A cross-object view as read: the position of the log it reflects and its state.
public struct LogViewRead: Sendable, Equatable {
    /// The view's version.
    public let version: Int
    /// The last log position folded into it.
    public let position: Position
    /// The state, compact JSON with sorted keys.
    public let state: [UInt8]

    /// `{"view", "version", "position", "lag", "state"}`, the lag against the log's `head`:
    /// over HTTP and from `evtool views` alike.
    public func json(name: String, head: Position) -> [UInt8] {
        var writer = JSONWriter(capacity: state.count + 96)
        writer.ascii("{\"view\":")
        writer.string(name)
        writer.ascii(",\"version\":")
        writer.integer(version)
        writer.ascii(",\"position\":")
        writer.integer(position)
        writer.ascii(",\"lag\":")
        writer.integer(head - min(head, position))
        writer.ascii(",\"state\":")
        writer.bytes.append(contentsOf: state)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}

/// Where a cross-object view is in the log.
public struct LogViewPosition: Sendable, Equatable {
    /// Its name.
    public let view: String
    /// Its version.
    public let version: Int
    /// The last log position folded into it.
    public let position: Position
    /// Positions committed and not folded yet.
    public let lag: UInt64

    /// Every view's position as `{"views": [{"view", "version", "position", "lag"}]}`.
    public static func json(_ positions: [LogViewPosition]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + positions.count * 80)
        writer.ascii("{\"views\":[")
        for (index, position) in positions.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            position.write(into: &writer)
        }
        writer.ascii("]}")
        return writer.bytes
    }

    /// As JSON: `{"view", "version", "position", "lag"}`.
    public func write(into writer: inout JSONWriter) {
        writer.ascii("{\"view\":")
        writer.string(view)
        writer.ascii(",\"version\":")
        writer.integer(version)
        writer.ascii(",\"position\":")
        writer.integer(position)
        writer.ascii(",\"lag\":")
        writer.integer(lag)
        writer.byte(UInt8(ascii: "}"))
    }
}

/// A cross-object view's new state, from folding the log from `from` through `through`.
struct LogViewWrite {
    let view: AnyLogProjection
    let from: Position
    let through: Position
    let state: JSONValue
}

extension EventStore {
    /// Stored under stream number 0 in `views` (stream numbers start at 1).
    static let logViewStream: UInt64 = 0
    /// Event data folded into a cross-object view per transaction, at most (about).
    static let logViewBytesMax = 16 << 20

    /// The cross-object view `name` (nil for an unknown view): as folded so far by
    /// ``catchUpLogViews(limit:writeIntervalMilliseconds:)`` in this process, else as stored; a
    /// view not folded yet, or folded by another version, reads as its initial state at position 0.
    public func readLogView(_ name: String) throws(EventStoreError) -> LogViewRead? {
        guard let view = logViews.first(where: { $0.name == name }) else { return nil }
        do {
            let folded = try logViewCache.with(name) { entry throws -> LogViewRead? in
                guard let entry else { return nil }
                var writer = JSONWriter()
                writer.value(try entry.state.json())
                return LogViewRead(version: view.version, position: entry.position, state: writer.bytes)
            }
            if let folded { return folded }
        } catch {
            throw .corruptRecord(position: 0, reason: "the view \(name) does not encode: \(error)")
        }
        return try read { transaction in
            if let stored = try StoredView.read(stream: Self.logViewStream, name: name, layout: layout, transaction: transaction),
                stored.version == view.version
            {
                var writer = JSONWriter()
                writer.value(stored.state)
                return LogViewRead(version: view.version, position: stored.seq, state: writer.bytes)
            }
            var writer = JSONWriter()
            writer.value(try view.fold(nil, []))
            return LogViewRead(version: view.version, position: 0, state: writer.bytes)
        }
    }

    /// Folds up to `limit` log positions (and about 16 MiB of event data) after each cross-object
    /// view's position into its typed state, kept in memory from one call to the next (read from
    /// storage the first time, or when storage moved under it), and stores state and position in
    /// one transaction (so every event is folded exactly once, whatever crashes) when
    /// `writeIntervalMilliseconds` have passed since it last did (0: every time). Returns the
    /// positions folded in all. Call it again while it returns more than 0; one caller at a
    /// time (a second one's writes are refused, not doubled).
    @discardableResult
    public func catchUpLogViews(limit: Int = 16_384, writeIntervalMilliseconds: Int64 = 0) async throws(EventStoreError) -> Int {
        var folded = 0
        for view in logViews {
            let write: LogViewWrite? = try read { transaction in
                let header = try StoredView.header(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction)
                let storedPosition = header.flatMap { $0.version == view.version ? $0.seq : nil } ?? 0
                let entry = try logViewCache.with(view.name) { entry throws -> LogViewCache.Entry in
                    if let current = entry, current.storedPosition == storedPosition { return current }
                    let stored = storedPosition > 0
                        ? try StoredView.read(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction)?.state : nil
                    let fresh = LogViewCache.Entry(state: try view.state(from: stored), position: storedPosition)
                    entry = fresh
                    return fresh
                }
                let events = try logEvents(for: view, after: entry.position, limit: limit, in: transaction)
                logViewCache.with(view.name) { _ in
                    if !events.events.isEmpty { entry.state.fold(events.events) }
                    folded += Int(events.through - entry.position)
                    entry.position = events.through
                }
                let due = ContinuousClock.now - entry.storedAt >= .milliseconds(writeIntervalMilliseconds)
                guard entry.position > entry.storedPosition, due else { return nil }
                let state = try logViewCache.with(view.name) { _ in try entry.state.json() }
                return LogViewWrite(view: view, from: entry.storedPosition, through: entry.position, state: state)
            }
            guard let write else { continue }
            do {
                try await submit { .storeLogView(write, $0) }
            } catch {
                // Storage moved (another caller) or the write failed: read it again next time.
                logViewCache.with(view.name) { $0 = nil }
                throw error
            }
            logViewCache.with(view.name) { entry in
                entry?.storedPosition = write.through
                entry?.storedAt = .now
            }
        }
        return folded
    }

    /// The events of the log after `position` that `view` reads (up to `limit` positions and
    /// about ``logViewBytesMax`` of data), and the last position looked at.
    private func logEvents(for view: AnyLogProjection, after position: Position, limit: Int, in transaction: ReadTransaction) throws
        -> (events: [LogEvent], through: Position)
    {
        let decoder = RecordDecoder()
        var names: [UInt64: (object: ObjectKey, branch: BranchName)?] = [:]
        var events: [LogEvent] = []
        var through = position
        try transaction.withCursor(layout.log) { log in
            var entry = try StoreKeys.withKey(position + 1) { try log.seek(atLeast: $0) }
            var scanned = 0
            var bytes = 0
            while let current = entry, scanned < limit, bytes < Self.logViewBytesMax {
                let position = StoreKeys.integer(current.key)
                let event = try decoder.decode(position: position, record: current.value)
                // Each stream's name is read and parsed once per fold, not per event; nil
                // for a stream of a type the view does not read.
                if names[event.stream] == nil {
                    let name = try streamName(event.stream, in: transaction, position: position)
                    let type = UnsafeRawBufferPointer(rebasing: name.object[..<(name.object.firstIndex(of: UInt8(ascii: "/")) ?? name.object.endIndex)])
                    let wanted = view.objectTypes?.contains(where: { $0.elementsEqual(type) }) ?? true
                    names[event.stream] = wanted ? Self.parse(name) : .some(nil)
                }
                if case .some(.some(let name)) = names[event.stream] {
                    events.append(LogEvent(object: name.object, branch: name.branch, position: position, event: try RecordedEvent(event)))
                }
                through = position
                scanned += 1
                bytes += event.data.count
                entry = try log.next()
            }
        }
        return (events, through)
    }

    /// A stream's object and branch; nil for a name that does not parse (a deleted branch's
    /// `NAME~deleted`).
    private static func parse(_ name: StoredStreamName) -> (object: ObjectKey, branch: BranchName)? {
        guard let object = try? ObjectKey(parsing: String(decoding: name.object, as: UTF8.self)),
            let branch = try? BranchName(String(decoding: name.branch, as: UTF8.self))
        else { return nil }
        return (object, branch)
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

extension BatchApplier {
    /// Stores a cross-object view's state with its checkpoint, if the checkpoint is still the one
    /// the fold started from.
    func apply(_ write: LogViewWrite) throws -> Result<Void, EventStoreError> {
        let stored = try StoredView.header(stream: EventStore.logViewStream, name: write.view.name, layout: layout, transaction: transaction)
        let current = stored.flatMap { $0.version == write.view.version ? $0.seq : nil } ?? 0
        guard current == write.from else {
            return .failure(.invalidRequest(field: "view", reason: "\(write.view.name) moved to \(current) while it was folded from \(write.from)"))
        }
        try StoredView.write(
            stream: EventStore.logViewStream, name: write.view.name, version: write.view.version, seq: write.through, state: write.state,
            layout: layout, transaction: transaction)
        return .success(())
    }
}
