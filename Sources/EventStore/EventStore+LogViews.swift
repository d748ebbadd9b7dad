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

    /// The cross-object view `name` as stored (nil for an unknown view); a view not folded yet,
    /// or folded by another version, reads as its initial state at position 0.
    public func readLogView(_ name: String) throws(EventStoreError) -> LogViewRead? {
        guard let view = logViews.first(where: { $0.name == name }) else { return nil }
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
    /// view's checkpoint into it and
    /// stores state and checkpoint in one transaction (so every event is folded exactly once,
    /// whatever crashes); returns the positions folded in all. Call it again while it returns
    /// more than 0; one caller at a time (a second one's writes are refused, not doubled).
    @discardableResult
    public func catchUpLogViews(limit: Int = 16_384) async throws(EventStoreError) -> Int {
        var folded = 0
        for view in logViews {
            let write: LogViewWrite? = try read { transaction in
                var state: JSONValue?
                var from: Position = 0
                if let stored = try StoredView.read(stream: Self.logViewStream, name: view.name, layout: layout, transaction: transaction),
                    stored.version == view.version
                {
                    state = stored.state
                    from = stored.seq
                }
                let decoder = RecordDecoder()
                var names: [UInt64: (object: ObjectKey, branch: BranchName)?] = [:]
                var events: [LogEvent] = []
                var through = from
                try transaction.withCursor(layout.log) { log in
                    var entry = try StoreKeys.withKey(from + 1) { try log.seek(atLeast: $0) }
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
                guard through > from else { return nil }
                return LogViewWrite(view: view, from: from, through: through, state: try view.fold(state, events))
            }
            guard let write else { continue }
            try await submit { .storeLogView(write, $0) }
            folded += Int(write.through - write.from)
        }
        return folded
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
        let head = commits.committedPosition
        var lag: [String: UInt64] = [:]
        for view in logViews {
            let position = try readLogView(view.name)?.position ?? 0
            lag[view.name] = head - min(head, position)
        }
        return lag
    }
}

extension BatchApplier {
    /// Stores a cross-object view's state with its checkpoint, if the checkpoint is still the one
    /// the fold started from.
    func apply(_ write: LogViewWrite) throws -> Result<Void, EventStoreError> {
        let stored = try StoredView.read(stream: EventStore.logViewStream, name: write.view.name, layout: layout, transaction: transaction)
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
