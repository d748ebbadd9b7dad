import EventModel

/// Events to append to one stream, validated and packed, ready for the writer.
///
/// Every event's type and payload live in one byte array, so a request costs a fixed number of
/// allocations whatever its number of events.
public struct AppendRequest: Sendable {
    /// Where the events go.
    public let stream: StreamName
    /// What the stream's head must be.
    public let expectedVersion: ExpectedVersion
    var events: EventBatch

    /// A request for `stream` carrying the events of `batch`.
    public init(stream: StreamName, expectedVersion: ExpectedVersion = .any, events batch: EventBatch) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = batch
    }

    /// The number of events.
    public var eventCount: Int { events.slots.count }
}

/// A packed list of events for one request. Build it with ``add(id:type:data:metadata:)``.
public struct EventBatch: Sendable {
    struct Slot: Sendable {
        var id: EventID?
        var typeStart: Int
        var typeCount: Int
        var payloadStart: Int
        var payloadCount: Int
        var dataLength: Int
        var metadataLength: Int
        var isCompressed: Bool
    }

    var storage: [UInt8] = []
    var slots: [Slot] = []
    /// The size of every event (type, data, metadata) before compression.
    public private(set) var totalBytes = 0
    private let limits: AppendLimits

    /// An empty batch that enforces `limits`.
    public init(limits: AppendLimits = AppendLimits()) { self.limits = limits }

    /// The number of events added.
    public var count: Int { slots.count }

    /// The id of each event, nil where the writer will generate one.
    public var ids: [EventID?] { slots.map(\.id) }

    /// Adds an event. `data` and `metadata` must be compact, valid JSON objects (the parser
    /// guarantees it); `metadata` empty means `{}`.
    /// - Throws: ``EventStoreError/requestTooLarge(field:limit:actual:)`` past a limit.
    public mutating func add(
        id: EventID?, type: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer
    ) throws(EventStoreError) {
        let index = slots.count
        guard index < limits.eventsPerRequestMax else {
            throw .requestTooLarge(field: "events", limit: limits.eventsPerRequestMax, actual: index + 1)
        }
        let size = type.count + data.count + metadata.count
        guard size <= limits.eventBytesMax else {
            throw .requestTooLarge(field: "/events/\(index)", limit: limits.eventBytesMax, actual: size)
        }
        totalBytes += size
        guard totalBytes <= limits.requestBytesMax else {
            throw .requestTooLarge(field: "request", limit: limits.requestBytesMax, actual: totalBytes)
        }
        let typeStart = storage.count
        storage.append(contentsOf: type)
        let payloadStart = storage.count
        storage.append(contentsOf: data)
        if metadata.isEmpty { storage.append(contentsOf: "{}".utf8) } else { storage.append(contentsOf: metadata) }
        slots.append(
            Slot(
                id: id, typeStart: typeStart, typeCount: type.count, payloadStart: payloadStart,
                payloadCount: storage.count - payloadStart, dataLength: data.count,
                metadataLength: storage.count - payloadStart - data.count, isCompressed: false))
    }

    /// Fills every missing id with `generate()`.
    mutating func assignMissingIDs(_ generate: () -> EventID) {
        for index in slots.indices where slots[index].id == nil { slots[index].id = generate() }
    }

    /// Borrowed bytes of one event's type and stored payload.
    @inline(__always)
    func withEvent<R>(_ index: Int, _ body: (_ type: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let slot = slots[index]
        return try storage.withUnsafeBytes { bytes in
            try body(
                UnsafeRawBufferPointer(rebasing: bytes[slot.typeStart..<(slot.typeStart + slot.typeCount)]),
                UnsafeRawBufferPointer(rebasing: bytes[slot.payloadStart..<(slot.payloadStart + slot.payloadCount)]))
        }
    }
}
