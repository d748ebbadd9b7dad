/// The engine's settings. Every limit is named, with its unit last.
public struct StoreConfiguration: Sendable {
    /// The data folder (created if missing).
    public var directory: String
    /// The master key (32 bytes) that wraps each object's data key. With one, every object's
    /// events and checkpoints are sealed at rest (AES-256-GCM under the object's own key) and an
    /// object can be erased by destroying its key (``EventStore/erase(_:)``); without one,
    /// nothing is sealed and erasure is refused. A store once opened with a key must always be.
    public var masterKey: [UInt8]?
    /// The LMDB map size to start with; it doubles by itself when full.
    public var mapSizeBytes: Int = 256 << 20
    /// The map size at which appends fail with "storage full" (reads keep working).
    public var mapSizeMaxBytes: Int = 1 << 40
    /// Requests waiting for the writer before appends are refused with ``EventStoreError/queueFull``.
    public var queueRequestsMax: Int = 8_192
    /// Bytes of events waiting for the writer before appends are refused.
    public var queueBytesMax: Int = 256 << 20
    /// The most requests the writer gathers into one transaction.
    public var batchRequestsMax: Int = 1_024
    /// The most event bytes the writer gathers into one transaction.
    public var batchBytesMax: Int = 32 << 20
    /// The most events the writer gathers into one transaction (a request with more goes
    /// alone): what lands at once for the log's followers (the cross-object views, CDC), so
    /// they trail the log by a few hundred events at most between commits.
    public var batchEventsMax: Int = 512
    /// Limits on one request.
    public var limits = AppendLimits()
    /// Payloads (data plus metadata) longer than this are stored zstd-compressed.
    public var compressionThresholdBytes: Int = 1_024
    /// Every view of a live object is checkpointed (and so snapshotted) once this many events
    /// were folded into it since its last checkpoint, so waking an object, or reading a view as
    /// of any point, folds about this many events at most after the nearest snapshot.
    public var snapshotIntervalEvents: UInt64 = 1_000
    /// How long the answer to a request sent with an idempotency key is kept (and a request
    /// with the same key answered with it), ms; the writer purges older ones.
    public var idempotencyWindowMilliseconds: Int64 = 24 * 3_600_000
    /// The work one writer transaction may do, in µs: past it, the transaction commits and the
    /// requests left wait for the next one, so a heavy object never holds the others' appends
    /// for longer (a single request is never split).
    public var transactionWorkMaxMicroseconds: Int = 5_000
    /// The work one writer transaction may take on, in bytes of requests (see
    /// ``heavyRequestBytes``): past it, it commits, so no sync has megabytes to write (a merge,
    /// a rebuild's chunk, an object's deletion count as past it: each has a transaction of its
    /// own).
    public var transactionWeightMax: Int = 1 << 20
    /// Requests bringing more than this (bytes of events, of a command's body, of a checkpoint's
    /// rows) wait in the heavy lane: each transaction takes the oldest heavy request, then the
    /// light ones, then more heavy ones while its time lasts (see ``transactionWorkMaxMicroseconds``).
    public var heavyRequestBytes: Int = 16 << 10
    /// The memory live objects may hold and when their views are checkpointed.
    public var live = LiveConfiguration()

    /// Defaults for `directory`.
    public init(directory: String) { self.directory = directory }
}

/// Limits on what one append may carry.
public struct AppendLimits: Sendable, Equatable {
    /// The largest event: type, data and metadata together, in bytes.
    public var eventBytesMax: Int = 1 << 20
    /// The largest request body, in bytes.
    public var requestBytesMax: Int = 16 << 20
    /// The most events in one request.
    public var eventsPerRequestMax: Int = 10_000

    /// The defaults: 1 MiB per event, 16 MiB per request, 10,000 events per request.
    public init() {}
}
