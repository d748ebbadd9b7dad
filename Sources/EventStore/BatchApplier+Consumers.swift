import EventModel
import LMDB

/// What consumers and sinks ask of the writer besides creating and acknowledging: writes
/// answered with nothing but success or a refusal.
enum ConsumerWrite {
    /// Forget `name` of `tenant`.
    case delete(name: String, tenant: Tenant)
    /// Keep a batch the sink `sink` could not deliver, keyed by its first position.
    case park(sink: String, firstPosition: Position, batch: [UInt8])
    /// Drop a parked batch (delivered again).
    case unpark(sink: String, firstPosition: Position)
}

extension BatchApplier {
    /// Creates `name`, or replaces its filters; its position moves only when `start` is given
    /// (a new consumer without one starts at the earliest event).
    mutating func putConsumer(_ name: String, filter: ConsumerFilter, start: ConsumerStart?) throws -> Result<(consumer: Consumer, created: Bool), EventStoreError> {
        let lastPosition = state.nextPosition - 1
        let existing = try ConsumerKeys.consumer(name, tenant: filter.tenant, layout: layout, transaction: transaction)
        var position: Position
        switch start {
        case nil: position = existing?.position ?? 0
        case .earliest: position = 0
        case .latest: position = lastPosition
        case .position(let requested):
            guard requested <= lastPosition else {
                return .failure(.positionPastHead(field: "/start", position: requested, head: lastPosition))
            }
            position = requested
        }
        let consumer = Consumer(name: name, filter: filter, position: position, createdMilliseconds: existing?.createdMilliseconds ?? timeMilliseconds)
        try ConsumerKeys.put(consumer, layout: layout, transaction: transaction)
        return .success((consumer, existing == nil))
    }

    /// Acknowledges every event of `name` up to `position` (never moves back); the record after.
    mutating func acknowledge(_ name: String, tenant: Tenant, position: Position) throws -> Result<Consumer, EventStoreError> {
        let lastPosition = state.nextPosition - 1
        guard var consumer = try ConsumerKeys.consumer(name, tenant: tenant, layout: layout, transaction: transaction) else {
            return .failure(.consumerNotFound(name))
        }
        guard position <= lastPosition else {
            return .failure(.positionPastHead(field: "/position", position: position, head: lastPosition))
        }
        if position > consumer.position {
            consumer.position = position
            try ConsumerKeys.put(consumer, layout: layout, transaction: transaction)
        }
        return .success(consumer)
    }

    /// Deletes a consumer, or parks or drops a sink's batch.
    mutating func apply(_ write: ConsumerWrite) throws -> Result<Void, EventStoreError> {
        switch write {
        case .delete(let name, let tenant):
            let deleted = try Consumer.storageKey(name, tenant: tenant).withUnsafeBytes { try transaction.delete(layout.consumers, key: $0) }
            if !deleted { return .failure(.consumerNotFound(name)) }
        case .park(let sink, let firstPosition, let batch):
            try ConsumerKeys.withParkedKey(sink: sink, position: firstPosition) { key in
                try batch.withUnsafeBytes { try transaction.put(layout.parked, key: key, value: $0) }
            }
        case .unpark(let sink, let firstPosition):
            let deleted = try ConsumerKeys.withParkedKey(sink: sink, position: firstPosition) { try transaction.delete(layout.parked, key: $0) }
            if !deleted { return .failure(.parkedBatchNotFound(sink: sink, position: firstPosition)) }
        }
        return .success(())
    }
}

/// Keys and records of the `consumers` and `parked` databases.
enum ConsumerKeys {
    static func consumer(_ name: String, tenant: Tenant, layout: StoreLayout, transaction: some ReadableTransaction) throws -> Consumer? {
        try Consumer.storageKey(name, tenant: tenant).withUnsafeBytes { key in
            try transaction.get(layout.consumers, key: key).flatMap { Consumer(json: try JSONValue(parsing: $0)) }
        }
    }

    static func put(_ consumer: Consumer, layout: StoreLayout, transaction: WriteTransaction) throws {
        var writer = JSONWriter(capacity: 256)
        writer.value(consumer.storedJSON)
        try Consumer.storageKey(consumer.name, tenant: consumer.tenant).withUnsafeBytes { key in
            try writer.bytes.withUnsafeBytes { try transaction.put(layout.consumers, key: key, value: $0) }
        }
    }

    /// `parked` key: sink name, 0, first position (8, BE).
    static func withParkedKey<R>(sink: String, position: Position, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = Array(sink.utf8)
        key.append(0)
        withUnsafeBytes(of: position.bigEndian) { key.append(contentsOf: $0) }
        return try key.withUnsafeBytes(body)
    }
}
