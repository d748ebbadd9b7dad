import EventModel
import EventStore
import Logging

/// A store in a temporary directory, with a manual clock, for tests.
public struct TestStore: Sendable {
    /// The open store.
    public let store: EventStore
    /// The directory holding the data folder.
    public let directory: TemporaryDirectory
    /// The clock the store reads.
    public let clock: ManualClock

    /// Opens a store in a new temporary directory; `configure` adjusts the configuration.
    public static func open(
        objectTypes: [String: ObjectTypeDefinition] = [:], logViews: [AnyLogProjection] = [], reactions: [AnyReaction] = [],
        observer: (any StoreObserver)? = nil, _ configure: (inout StoreConfiguration) -> Void = { _ in }
    ) throws -> TestStore {
        let directory = TemporaryDirectory()
        var configuration = StoreConfiguration(directory: directory.appending("data"))
        configure(&configuration)
        let clock = ManualClock()
        let store = try EventStore(
            configuration: configuration, objectTypes: objectTypes, logViews: logViews, reactions: reactions, clock: clock, holder: "test",
            logger: quietLogger, observer: observer)
        return TestStore(store: store, directory: directory, clock: clock)
    }

    /// Opens the same data folder again (after ``close()``), with the same clock.
    public func reopened(_ configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> TestStore {
        var configuration = store.configuration
        configure(&configuration)
        let reopenedStore = try EventStore(
            configuration: configuration, objectTypes: store.objectTypes, logViews: store.logViews, reactions: store.reactions, clock: clock, holder: "test",
            logger: quietLogger)
        return TestStore(store: reopenedStore, directory: directory, clock: clock)
    }

    /// Opens the same data folder (after ``close()``) again with other object types, as a
    /// new release of the code would.
    public func reopened(objectTypes: [String: ObjectTypeDefinition]) throws -> TestStore {
        let reopenedStore = try EventStore(configuration: store.configuration, objectTypes: objectTypes, clock: clock, holder: "test", logger: quietLogger)
        return TestStore(store: reopenedStore, directory: directory, clock: clock)
    }

    /// Closes the store and keeps the directory.
    public func close() async { await store.close() }

    /// Closes the store and deletes the directory.
    public func destroy() async {
        await store.close()
        directory.remove()
    }
}

/// Tests log only warnings and errors.
public let quietLogger: Logger = {
    var logger = Logger(label: "evlog.test")
    logger.logLevel = .warning
    return logger
}()

/// Builders for the requests tests send.
public enum TestEvents {
    /// A request appending one event per `(type, data JSON)` pair to `object` (e.g. "inventory/sku-1")
    /// of `tenant`.
    public static func request(
        _ object: String, _ events: [(type: String, data: String)], ids: [EventID?]? = nil, expected: ExpectedVersion = .any,
        branch: BranchName = .main, tenant: Tenant = .default
    ) throws -> AppendRequest {
        var batch = EventBatch()
        for (index, event) in events.enumerated() {
            var type = event.type
            var data = event.data
            try type.withUTF8 { type in
                try data.withUTF8 { data in
                    try batch.add(id: ids?[index], type: UnsafeRawBufferPointer(type), data: UnsafeRawBufferPointer(data), metadata: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
        }
        return AppendRequest(stream: StreamName(object: try ObjectKey(parsing: object, tenant: tenant), branch: branch), expectedVersion: expected, events: batch)
    }

    /// A request of `count` events of type `Deposited` with data `{"n": i}`.
    public static func deposits(_ object: String, count: Int, from start: Int = 0, expected: ExpectedVersion = .any) throws -> AppendRequest {
        try request(object, (start..<(start + count)).map { ("Deposited", "{\"n\":\($0)}") }, expected: expected)
    }
}

/// One event read back, copied out of storage, for assertions.
public struct ReadEvent: Equatable, Sendable {
    public let object: String
    public let branch: String
    public let seq: Seq
    public let position: Position
    public let id: EventID
    public let type: String
    public let data: String
    public let metadata: String
    public let timeMilliseconds: Int64
}

extension EventStore {
    /// Every event of `object`'s branch `branch` (main by default), of `tenant`, copied.
    public func allEvents(of object: String, branch: String = "main", tenant: Tenant = .default) throws -> [ReadEvent] {
        let key = try ObjectKey(parsing: object, tenant: tenant)
        var events: [ReadEvent] = []
        _ = try readStream(StreamName(object: key, branch: try BranchName(branch)), from: 0, limit: Int.max) { event in
            events.append(ReadEvent(event, object: object, branch: branch))
        }
        return events
    }

    /// The whole global log, copied; objects of any tenant but the default are `tenant|type/id`.
    public func wholeLog() throws -> [ReadEvent] {
        var events: [ReadEvent] = []
        _ = try readLog(after: 0, limit: Int.max) { event, name in
            let tenant = name.tenant.isEmpty ? "" : String(decoding: name.tenant, as: UTF8.self) + "|"
            events.append(
                ReadEvent(event, object: tenant + String(decoding: name.object, as: UTF8.self), branch: String(decoding: name.branch, as: UTF8.self)))
        }
        return events
    }
}

extension ReadEvent {
    init(_ event: StoredEvent, object: String, branch: String) {
        self.init(
            object: object, branch: branch, seq: event.seq, position: event.position, id: event.id,
            type: String(decoding: event.type, as: UTF8.self), data: String(decoding: event.data, as: UTF8.self),
            metadata: String(decoding: event.metadata, as: UTF8.self), timeMilliseconds: event.timeMilliseconds)
    }
}
