import EventModel
import LMDB

/// The outcome of reading one page of a stream.
public struct StreamPage: Sendable, Equatable {
    /// The stream's head (its version) when the page was read.
    public let version: Seq
    /// The seq to ask for next, or nil when the page reached the head.
    public let next: Seq?
    /// How many events the page delivered.
    public let count: Int
}

/// The outcome of reading one page of the global log.
public struct LogPage: Sendable, Equatable {
    /// The position of the last event delivered, or the `after` position when none was.
    public let lastPosition: Position
    /// How many events the page delivered.
    public let count: Int
}

/// What the store holds, for `evtool stats` and `/healthz`.
public struct StoreStatistics: Sendable, Equatable {
    /// The last committed position, which is also the number of events (positions are dense).
    public let lastPosition: Position
    /// Streams (object branches) ever created.
    public let streams: Int
    /// The map: its size, maximum and bytes in use.
    public let map: EnvironmentInfo
    /// Requests waiting for the writer.
    public let queuedRequests: Int
}

extension EventStore {
    /// Delivers up to `limit` events of `stream` from seq `from` on, in seq order, each checked
    /// against its CRC-32C and its index entry, all from one consistent snapshot; the page ends
    /// early once it holds `bytesMax` bytes of data and metadata (its `next` says where to go on).
    /// `from` 0 reads from the first event retention kept (seq 1 when it compacted none).
    /// - Returns: nil when the stream has no events.
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for a damaged record,
    ///   ``EventStoreError/compacted(_:)`` when `from` (past 0) is at or before the retention
    ///   horizon, ``EventStoreError/closed`` once the store is closed.
    public func readStream(
        _ stream: StreamName, from: Seq = 1, limit: Int, bytesMax: Int = .max, _ body: (StoredEvent) -> Void
    ) throws(EventStoreError) -> StreamPage? {
        let storageKey = stream.storageKey
        return try read { transaction in
            guard let number = try layout.streamNumber(storageKey, in: transaction) else { return nil }
            let lineage = try layout.lineage(of: number, in: transaction)
            let head = try layout.head(of: lineage, in: transaction)
            // A branch forked at 0 exists with no events; main with none does not.
            guard head > 0 else { return stream.branch == .main ? nil : StreamPage(version: 0, next: nil, count: 0) }
            var delivered = 0
            let next = try layout.forEachEvent(of: lineage, from: from == 0 ? lineage.firstRetainedSeq : from, limit: min(limit, Int(clamping: head)), bytesMax: bytesMax, in: transaction) { event in
                body(event)
                delivered += 1
            }
            let seq = next ?? head + 1
            return StreamPage(version: head, next: seq <= head ? seq : nil, count: delivered)
        }
    }

    /// Where retention left `stream`'s line of history (nil: every event is kept).
    public func horizon(of stream: StreamName) throws(EventStoreError) -> RetentionHorizon? {
        let storageKey = stream.storageKey
        return try read { transaction in
            guard let number = try layout.streamNumber(storageKey, in: transaction) else { return nil }
            return try layout.lineage(of: number, in: transaction).horizon
        }
    }

    /// The head (version) of `stream`; 0 when it has no events. A branch's head counts the
    /// events it shares with its parent.
    public func version(of stream: StreamName) throws(EventStoreError) -> Seq {
        let storageKey = stream.storageKey
        return try read { transaction in
            guard let number = try layout.streamNumber(storageKey, in: transaction) else { return 0 }
            return try layout.head(of: number, in: transaction)
        }
    }

    /// Delivers up to `limit` events of the global log after position `after`, in position
    /// order, each with its object and branch, each checked against its CRC-32C; the page ends
    /// early once it holds `bytesMax` bytes of data and metadata.
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for a damaged record,
    ///   ``EventStoreError/closed`` once the store is closed.
    public func readLog(
        after: Position, limit: Int, bytesMax: Int = .max, _ body: (StoredEvent, StoredStreamName) -> Void
    ) throws(EventStoreError) -> LogPage {
        guard after < Position.max else { return LogPage(lastPosition: after, count: 0) }
        return try read { transaction in
            let decoder = RecordDecoder(layout: layout)
            var names: [UInt64: StoredStreamName] = [:]
            var delivered = 0
            var bytes = 0
            var last = after
            try transaction.withCursor(layout.log) { log in
                var entry = try StoreKeys.withKey(after + 1) { try log.seek(atLeast: $0) }
                while let current = entry, delivered < limit, bytes < bytesMax {
                    let position = StoreKeys.integer(current.key)
                    let event = try decoder.decode(position: position, record: current.value, in: transaction)
                    let name = try names[event.stream] ?? streamName(event.stream, in: transaction, position: position)
                    names[event.stream] = name
                    body(event, name)
                    delivered += 1
                    bytes += event.data.count + event.metadata.count
                    last = position
                    if delivered < limit, bytes < bytesMax { entry = try log.next() }
                }
            }
            return LogPage(lastPosition: last, count: delivered)
        }
    }

    func streamName(_ stream: UInt64, in transaction: ReadTransaction, position: Position) throws -> StoredStreamName {
        guard let record = try StoreKeys.withKey(stream, { try transaction.get(layout.streams, key: $0) }),
            record.count > StreamRecord.headerBytes
        else { throw EventStoreError.corruptRecord(position: position, reason: "the event's stream \(stream) is unknown") }
        let parts = StreamRecord.nameParts(record)
        return StoredStreamName(storageName: parts.object, branch: parts.branch)
    }

    /// Counts and sizes, from one snapshot.
    public func statistics() throws(EventStoreError) -> StoreStatistics {
        let (lastPosition, streams) = try read { transaction in
            (try layout.lastPosition(in: transaction), try transaction.count(layout.streams))
        }
        let map: EnvironmentInfo
        do { map = try environment.info() } catch { throw .storageFailure(error) }
        return StoreStatistics(lastPosition: lastPosition, streams: streams, map: map, queuedRequests: queueDepth.requests)
    }
}
