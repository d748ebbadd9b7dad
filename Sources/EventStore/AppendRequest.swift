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
    /// Each event's data as a tree, when the caller parsed it already (for the views); empty
    /// means the writer parses the stored bytes if a view needs them.
    var dataValues: [JSONValue]
    /// A command for the object's decider, instead of events.
    let command: (name: String, body: JSONValue)?
    /// A due timer to fire, instead of events.
    let firing: String?
    /// A request to snapshot every view at the head, instead of events.
    var snapshotting = false
    /// A change to the object's branches, instead of events.
    var branching: BranchOperation?
    /// Snapshots folded again by a reader because the stored ones were unusable, to write.
    var snapshotRepairs: [SnapshotRepair] = []
    /// Each event's original commit time, for an import; empty: the batch's commit time.
    var eventTimes: [Int64] = []
    /// A rebuild job's write, instead of events.
    var jobWrite: JobWrite?
    /// A consumer's write, instead of events.
    var consumerWrite: ConsumerWrite?
    /// A cross-object view's new state and checkpoint, instead of events.
    var logViewWrite: LogViewWrite?

    /// A request for `stream` carrying the events of `batch`; `data` (optional) are their data
    /// as already-parsed trees, in order.
    public init(stream: StreamName, expectedVersion: ExpectedVersion = .any, events batch: EventBatch, data: [JSONValue] = []) {
        precondition(data.isEmpty || data.count == batch.count, "one data tree per event")
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = batch
        self.dataValues = data
        self.command = nil
        self.firing = nil
    }

    /// A request that brings back events exported from another store (``ObjectArchive``):
    /// their ids as given and their original commit times, `times[i]` ms since the epoch for
    /// event `i` (non-decreasing, so reads as of a time still see a prefix).
    public init(importing stream: StreamName, expectedVersion: ExpectedVersion, events batch: EventBatch, times: [Int64]) {
        precondition(times.count == batch.count && zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "one non-decreasing time per event")
        self.init(stream: stream, expectedVersion: expectedVersion, events: batch)
        self.eventTimes = times
    }

    /// A request to run the command `name` with `body` on `stream`: the writer runs the object
    /// type's decider on the current state and appends the events it decides, atomically.
    public init(stream: StreamName, expectedVersion: ExpectedVersion = .any, command name: String, body: JSONValue) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = EventBatch()
        self.dataValues = []
        self.command = (name, body)
        self.firing = nil
    }

    /// A request to snapshot every view of `stream` at its head.
    init(snapshotting stream: StreamName) {
        self.stream = stream
        self.expectedVersion = .any
        self.events = EventBatch()
        self.dataValues = []
        self.command = nil
        self.firing = nil
        self.snapshotting = true
    }

    /// A request for `stream` that changes its branches (`stream` is the branch created or
    /// deleted, or the target of a merge).
    init(stream: StreamName, expectedVersion: ExpectedVersion = .any, branching operation: BranchOperation) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = EventBatch()
        self.dataValues = []
        self.command = nil
        self.firing = nil
        self.branching = operation
    }

    /// The name job writes go under (no stream of that name is ever created).
    static let jobsStream = StreamName(object: try! ObjectKey(parsing: "evlog-jobs/rebuild"))

    /// A request that stores a cross-object view's state and checkpoint.
    init(logView write: LogViewWrite) {
        self.init(snapshotting: Self.jobsStream)
        self.snapshotting = false
        self.logViewWrite = write
    }

    /// A request that makes a consumer's write.
    init(consumer write: ConsumerWrite) {
        self.init(snapshotting: Self.jobsStream)
        self.snapshotting = false
        self.consumerWrite = write
    }

    /// A request that makes a rebuild job's write.
    init(job write: JobWrite) {
        self.init(snapshotting: Self.jobsStream)
        self.snapshotting = false
        self.jobWrite = write
    }

    /// A request that writes `repairs` (snapshots of `stream`'s views folded again) and nothing else.
    init(stream: StreamName, repairs: [SnapshotRepair]) {
        self.init(snapshotting: stream)
        self.snapshotting = false
        self.snapshotRepairs = repairs
    }

    /// A request to fire the timer `timerId` of `stream`: the writer runs the object type's
    /// timer handler, if the timer is still pending, and appends `TimerFired` and its events.
    init(stream: StreamName, firing timerId: String) {
        self.stream = stream
        self.expectedVersion = .any
        self.events = EventBatch()
        self.dataValues = []
        self.command = nil
        self.firing = timerId
    }

    /// The number of events.
    public var eventCount: Int { events.slots.count }
}

/// A change to an object's branches, made by its writer.
enum BranchOperation {
    /// Create the request's stream as a branch of `parent` at seq `at` (nil: the parent's head).
    case fork(parent: BranchName, at: Seq?)
    /// Delete the request's stream (a branch other than `main` with no branches of its own).
    case delete
    /// Delete every branch of the request's object, `main` too, and free its event ids.
    case deleteObject
    /// Append to the request's stream what branch `source` has that it does not.
    case merge(source: BranchName)
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
        /// The id was generated by the engine (UUIDv7, never seen): no idempotency lookup.
        var isGeneratedID = false
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

    /// Adds an event. `data` and `metadata` must be compact, valid JSON objects: they are stored
    /// and served as given (``AppendRequestParser`` and deciders guarantee it); `metadata` empty
    /// means `{}`.
    /// - Throws: ``EventStoreError/requestTooLarge(field:limit:actual:)`` past a limit,
    ///   ``EventStoreError/invalidRequest(field:reason:)`` for an invalid event type.
    public mutating func add(
        id: EventID?, type: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer
    ) throws(EventStoreError) {
        let index = slots.count
        guard !type.isEmpty, type.count <= AppendRequestParser.eventTypeLengthMax, type.allSatisfy(AppendRequestParser.isEventTypeByte) else {
            throw .invalidRequest(field: "/events/\(index)/type", reason: "must be 1-\(AppendRequestParser.eventTypeLengthMax) characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'")
        }
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
        for index in slots.indices where slots[index].id == nil {
            slots[index].id = generate()
            slots[index].isGeneratedID = true
        }
    }

    /// One event's data parsed into a tree (the payload must not be compressed yet).
    func parsedData(_ index: Int) throws -> JSONValue {
        let slot = slots[index]
        precondition(!slot.isCompressed, "data is parsed before compression")
        return try storage.withUnsafeBytes { bytes in
            try JSONValue(parsing: UnsafeRawBufferPointer(rebasing: bytes[slot.payloadStart..<(slot.payloadStart + slot.dataLength)]))
        }
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
