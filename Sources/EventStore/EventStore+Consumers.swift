import EventModel
import LMDB

/// One read of a consumer: what it got and where to acknowledge.
public struct ConsumerPage: Sendable, Equatable {
    /// The consumer as read (its acknowledged position before this page).
    public let consumer: Consumer
    /// Events delivered.
    public let delivered: Int
    /// The last position looked at: acknowledging it acknowledges the page (events the filter
    /// left out included), so a selective consumer does not scan them again.
    public let next: Position
    /// The last committed position when the page was read.
    public let head: Position
}

extension EventStore {
    /// Creates the consumer `name` of `tenant` or replaces its filters (it reads that tenant's
    /// events only, whatever `filter`'s tenant). A new one starts at `start` (default: the
    /// earliest event); an existing one keeps its position unless `start` is given.
    /// - Returns: the consumer, and whether it was created.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` for a bad name or a start
    ///   past the last committed position.
    public func putConsumer(
        _ name: String, tenant: Tenant = .default, filter: ConsumerFilter, start: ConsumerStart? = nil
    ) async throws(EventStoreError) -> (consumer: Consumer, created: Bool) {
        guard Consumer.isValidName(name) else { throw .invalidRequest(field: "name", reason: "must be 1-64 characters of a-z, 0-9, '_' and '-'") }
        return try await submit { .putConsumer(name: name, filter: filter.within(tenant), start: start, $0) }
    }

    /// Acknowledges every event of `name` up to `position`; a position below the one
    /// acknowledged already changes nothing.
    /// - Throws: ``EventStoreError/consumerNotFound(_:)``, or
    ///   ``EventStoreError/invalidRequest(field:reason:)`` for a position not committed yet.
    @discardableResult
    public func ack(_ name: String, tenant: Tenant = .default, position: Position) async throws(EventStoreError) -> Consumer {
        try await submit { .acknowledge(consumer: name, tenant: tenant, position: position, $0) }
    }

    /// Forgets the consumer `name` of `tenant`.
    /// - Throws: ``EventStoreError/consumerNotFound(_:)``.
    public func deleteConsumer(_ name: String, tenant: Tenant = .default) async throws(EventStoreError) {
        try await submit { .consumer(.delete(name: name, tenant: tenant), $0) }
    }

    /// The consumer `name` of `tenant`, if there is one.
    public func consumer(_ name: String, tenant: Tenant = .default) throws(EventStoreError) -> Consumer? {
        try read { try ConsumerKeys.consumer(name, tenant: tenant, layout: layout, transaction: $0) }
    }

    /// Every consumer of `tenant`, by name.
    public func consumers(tenant: Tenant = .default) throws(EventStoreError) -> [Consumer] {
        try read { transaction in
            var consumers: [Consumer] = []
            try transaction.withCursor(layout.consumers) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    if tenant.owns(Tenant.split(current.key).tenant), let consumer = Consumer(json: try JSONValue(parsing: current.value)) {
                        consumers.append(consumer)
                    }
                    entry = try cursor.next()
                }
            }
            return consumers
        }
    }

    /// Delivers the events of `tenant` after its consumer `name`'s acknowledged position (or after `after`, when it is
    /// further) that its filter lets through, in position order, at most `limit` of them and
    /// about `bytesMax` bytes, looking at no more than `scanMax` positions; nil when there is no
    /// such consumer. Each event comes with its stream's name, and is checked against its
    /// CRC-32C; the records of streams the filter passes over are looked at by their header only.
    public func readConsumer(
        _ name: String, tenant: Tenant = .default, after: Position? = nil, limit: Int, bytesMax: Int = 4 << 20, scanMax: Int = 65_536,
        _ body: (StoredEvent, StoredStreamName) -> Void
    ) throws(EventStoreError) -> ConsumerPage? {
        try read { transaction in
            guard let consumer = try ConsumerKeys.consumer(name, tenant: tenant, layout: layout, transaction: transaction) else { return nil }
            let start = max(consumer.position, after ?? 0)
            let decoder = RecordDecoder(layout: layout)
            var names: [UInt64: StoredStreamName] = [:]
            var delivered = 0
            var scanned = 0
            var bytes = 0
            var next = start
            let head = try layout.lastPosition(in: transaction)
            guard start < head else { return ConsumerPage(consumer: consumer, delivered: 0, next: start, head: head) }
            try transaction.withCursor(layout.log) { log in
                var entry = try StoreKeys.withKey(start + 1) { try log.seek(atLeast: $0) }
                while let current = entry, delivered < limit, bytes < bytesMax, scanned < scanMax {
                    let position = StoreKeys.integer(current.key)
                    // Matched by its stream first, from the header unchecked: a record the filter
                    // passes over is neither checked, opened nor decompressed.
                    guard let stream = EventRecord.streamAndSeq(current.value)?.stream else {
                        throw EventStoreError.corruptRecord(position: position, reason: "bad record header")
                    }
                    let streamName = try names[stream] ?? streamName(stream, in: transaction, position: position)
                    names[stream] = streamName
                    if consumer.filter.matches(name: streamName) {
                        let event = try decoder.decode(position: position, record: current.value, in: transaction)
                        if consumer.filter.matches(type: event.type, name: streamName) {
                            body(event, streamName)
                            delivered += 1
                            bytes += event.data.count + event.metadata.count
                        }
                    }
                    scanned += 1
                    next = position
                    if delivered < limit, bytes < bytesMax, scanned < scanMax { entry = try log.next() }
                }
            }
            return ConsumerPage(consumer: consumer, delivered: delivered, next: next, head: head)
        }
    }
}

/// A batch a sink could not deliver, kept in the store until it is replayed.
public struct ParkedBatch: Sendable, Equatable {
    /// The sink (its consumer's name).
    public let sink: String
    /// The position of the batch's first event.
    public let firstPosition: Position
    /// The batch as the sink would have sent it: a JSON array of CloudEvents.
    public let body: [UInt8]
    /// Why it was parked (the last error).
    public let reason: String
}

extension EventStore {
    /// Keeps `batch` (a JSON array of CloudEvents) for `sink`, which gave up delivering it; the
    /// events of sealed objects are kept sealed under their objects' keys (an erasure reaches
    /// them: they read as its tombstone then).
    public func park(sink: String, firstPosition: Position, batch: [UInt8], reason: String) async throws(EventStoreError) {
        let sealed = try sealParked(batch)
        var writer = JSONWriter(capacity: sealed.count + reason.utf8.count + 32)
        writer.ascii("{\"reason\":")
        writer.string(reason)
        writer.ascii(",\"events\":")
        writer.bytes.append(contentsOf: sealed)
        writer.byte(UInt8(ascii: "}"))
        let batch = writer.bytes
        try await submit { .consumer(.park(sink: sink, firstPosition: firstPosition, batch: batch), $0) }
    }

    /// Drops a parked batch (it was delivered).
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` when there is no such batch.
    public func unpark(sink: String, firstPosition: Position) async throws(EventStoreError) {
        try await submit { .consumer(.unpark(sink: sink, firstPosition: firstPosition), $0) }
    }

    /// The parked batches of `sink` (nil: of every sink), oldest first per sink; an event of an
    /// object erased since it was parked reads as its `ObjectErased` tombstone.
    public func parkedBatches(sink: String? = nil) throws(EventStoreError) -> [ParkedBatch] {
        try read { transaction in
            var batches: [ParkedBatch] = []
            try transaction.withCursor(layout.parked) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    entry = try cursor.next()
                    guard current.key.count > 9, let zero = current.key.firstIndex(of: 0), zero == current.key.count - 9 else { continue }
                    let name = String(decoding: current.key[..<zero], as: UTF8.self)
                    guard sink == nil || sink == name else { continue }
                    // The events are kept as stored bytes: parsing them would round big numbers.
                    var reason = ""
                    var events: [UInt8] = Array("[]".utf8)
                    var scanner = JSONScanner(current.value)
                    try scanner.readObject { key, value in
                        switch key {
                        case "reason": reason = try value.readString()
                        case "events": events = try openParked(UnsafeRawBufferPointer(rebasing: current.value[try value.skipValue()]), in: transaction)
                        default: _ = try value.skipValue()
                        }
                    }
                    batches.append(ParkedBatch(sink: name, firstPosition: StoreKeys.integer(current.key, at: zero + 1), body: events, reason: reason))
                }
            }
            return batches
        }
    }
}
