import EventModel
import LMDB

/// The databases of one store and the lookups both the writer and the readers need.
///
/// | database | key | value |
/// |---|---|---|
/// | `log` | position (8, BE) | ``EventRecord`` |
/// | `seqs` | stream (8, BE) + first seq (8, BE) | ``SeqRun``: first position (8) + count (4) |
/// | `ids` | event id (16) | position (8) |
/// | `streams` | stream number (8, BE) | ``StreamRecord`` |
/// | `stream-names` | `type/id` 0 branch | stream number (8) |
/// | `meta` | name | format version and other facts about the store |
/// | `views` | 0 (8, BE) + view name | ``StoredView``: a cross-object view's version (4) + position (8) + state JSON |
/// | `timers` | due time (8, BE) + stream (8, BE) + timer id | payload JSON |
/// | `timer-ids` | stream (8, BE) + timer id | due time (8) |
/// | `snapshots` | stream (8, BE) + view name + 0 + seq (8, BE) | view version (4) + CRC-32C (4) + length (4) + zstd frame of the summary |
/// | `rows` | stream (8, BE) + view name + 0 + view version (4, BE) + row key + 0 + seq (8, BE) | ``RowRecord``: a keyed view's row as of that seq |
/// | `jobs` | job id (8, BE), or job id + chunk (8, BE) for a chunk done | ``RebuildJob`` as JSON, or empty |
/// | `consumers` | consumer name | ``Consumer`` as JSON (its filters and acknowledged position) |
/// | `parked` | sink name + 0 + first position (8, BE) | a batch a sink could not deliver, as JSON |
/// | `merges` | see ``MergeLedger`` | the roots of copies, where each line holds them, merge records |
/// | `idempotency` | see ``IdempotencyLedger`` | the answers to requests sent with an idempotency key |
/// | `objects` | type name | its objects (8, LE): every `main` branch made and not deleted |
/// | `keys` | object storage name | its data key wrapped by the master key, or when it was erased (``ObjectKeyRing``) |
/// | `horizons` | stream (8, BE) | ``RetentionHorizon``: the last seq retention compacted, and its time |
///
/// `log` is written in key order with `MDB_APPEND`. `seqs` holds one entry per *run*: events
/// of a stream with consecutive seqs at consecutive positions share one entry, so reading an
/// object that was appended in bulk is a plain cursor scan of `log`. Retention deletes the
/// records, runs and ids of the events up to a stream's horizon: the log then has holes there.
struct StoreLayout {
    static let databaseNames = [
        "log", "seqs", "ids", "streams", "stream-names", "meta", "views", "timers", "timer-ids", "snapshots", "jobs", "consumers", "parked", "merges",
        "idempotency", "rows", "objects", "keys", "horizons",
    ]
    /// 6: retention may have compacted a stream's first events (``RetentionHorizon``; the log
    /// has holes, which earlier builds would call damage). 5: objects' events and checkpoints may be sealed (``ObjectKeyRing``; earlier builds
    /// cannot read them). 4: objects counted per type in `objects`. 3: per-object views are checkpointed
    /// (snapshots, and keyed views' rows in `rows`), not stored whole in `views`. Stores of
    /// formats 1 to 3 are upgraded on open (``StoreMigration``).
    static let formatVersion: UInt64 = 6

    let log: Database
    let seqs: Database
    let ids: Database
    let streams: Database
    let streamNames: Database
    let meta: Database
    let views: Database
    let timers: Database
    let timerIDs: Database
    let snapshots: Database
    let jobs: Database
    let consumers: Database
    let parked: Database
    let merges: Database
    let idempotency: Database
    let rows: Database
    let objects: Database
    let keys: Database
    let horizons: Database
    /// The objects' data keys, when the store seals (it was given a master key).
    let keyRing: ObjectKeyRing?

    init(_ environment: Environment, masterKey: [UInt8]? = nil) {
        log = environment.database("log")
        seqs = environment.database("seqs")
        ids = environment.database("ids")
        streams = environment.database("streams")
        streamNames = environment.database("stream-names")
        meta = environment.database("meta")
        views = environment.database("views")
        timers = environment.database("timers")
        timerIDs = environment.database("timer-ids")
        snapshots = environment.database("snapshots")
        jobs = environment.database("jobs")
        consumers = environment.database("consumers")
        parked = environment.database("parked")
        merges = environment.database("merges")
        idempotency = environment.database("idempotency")
        rows = environment.database("rows")
        objects = environment.database("objects")
        keys = environment.database("keys")
        horizons = environment.database("horizons")
        let keys = keys
        keyRing = masterKey.map { ObjectKeyRing(master: $0, database: keys) }
    }

    /// The stream number stored for `storageKey`, if the stream exists.
    func streamNumber(_ storageKey: [UInt8], in transaction: some ReadableTransaction) throws -> UInt64? {
        try storageKey.withUnsafeBytes { key in
            guard let value = try transaction.get(streamNames, key: key), value.count == 8 else { return nil }
            return UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
        }
    }

    /// The last run of `stream`, or nil when it has no events.
    func lastRun(of stream: UInt64, in transaction: some ReadableTransaction) throws -> SeqRun? {
        try transaction.withCursor(seqs) { cursor in
            let entry = try StoreKeys.withKey(stream + 1, 0) { try cursor.seek(atLeast: $0) }
            let candidate = try entry == nil ? cursor.last() : cursor.previous()
            guard let candidate, StoreKeys.integer(candidate.key) == stream else { return nil }
            return SeqRun(key: candidate.key, value: candidate.value)
        }
    }

    /// The head (last seq) of `stream`: its last own seq, or, when it has no events of its own,
    /// the seq it was forked at (0 for a root stream). The lineage is read only then.
    func head(of stream: UInt64, in transaction: some ReadableTransaction) throws -> Seq {
        if let run = try lastRun(of: stream, in: transaction) { return run.lastSeq }
        return try lineage(of: stream, in: transaction).forkSeq
    }

    /// Delivers up to `limit` events of `stream` from seq `from` on (``EventStoreError/compacted(_:)``
    /// when retention compacted it), in seq order, each checked
    /// against its CRC-32C and its index entry, stopping early once the events delivered hold
    /// `bytesMax` bytes of data and metadata (at least one is always delivered); returns the seq
    /// after the last one delivered (nil when none was).
    @discardableResult
    func forEachEvent(
        of stream: UInt64, from: Seq, limit: Int, bytesMax: Int = .max, in transaction: some ReadableTransaction,
        _ body: (StoredEvent) throws -> Void
    ) throws -> Seq? {
        let decoder = RecordDecoder(layout: self)
        var seq = max(from, 1)
        var delivered = 0
        var bytes = 0
        try transaction.withCursor(seqs) { runs in
            try transaction.withCursor(log) { log in
                var entry = try StoreKeys.withKey(stream, seq) { try runs.seek(atMost: $0) }
                if entry.map({ StoreKeys.integer($0.key) != stream }) ?? true {
                    // No run begins at or before `seq`: the stream's first events were compacted
                    // (asking for one of them is refused), or it has none.
                    entry = try StoreKeys.withKey(stream, seq) { try runs.seek(atLeast: $0) }
                    if let first = entry, StoreKeys.integer(first.key) == stream, SeqRun(key: first.key, value: first.value).firstSeq > seq {
                        guard let horizon = try horizon(of: stream, in: transaction) else {
                            throw EventStoreError.corruptRecord(position: 0, reason: "stream \(stream) has no index entry for seq \(seq)")
                        }
                        throw EventStoreError.compacted(horizon)
                    }
                }
                while let current = entry, delivered < limit, bytes < bytesMax, StoreKeys.integer(current.key) == stream {
                    let run = SeqRun(key: current.key, value: current.value)
                    if run.lastSeq >= seq {
                        var position = run.firstPosition + (seq - run.firstSeq)
                        var record = try StoreKeys.withKey(position) { try log.seek(exactly: $0) }
                        while true {
                            guard let found = record, StoreKeys.integer(found.key) == position else {
                                throw EventStoreError.corruptRecord(position: position, reason: "indexed event missing from the log")
                            }
                            let event = try decoder.decode(position: position, record: found.value, in: transaction)
                            guard event.stream == stream, event.seq == seq else {
                                throw EventStoreError.corruptRecord(position: position, reason: "index and record disagree")
                            }
                            try body(event)
                            delivered += 1
                            bytes += event.data.count + event.metadata.count
                            seq += 1
                            position += 1
                            guard delivered < limit, bytes < bytesMax, seq <= run.lastSeq else { break }
                            record = try log.next()
                        }
                    }
                    entry = try runs.next()
                }
            }
        }
        return delivered > 0 ? seq : nil
    }

    /// The last position in the log; 0 when it is empty.
    func lastPosition(in transaction: some ReadableTransaction) throws -> Position {
        try transaction.withCursor(log) { cursor in try cursor.last().map { StoreKeys.integer($0.key) } ?? 0 }
    }
}

/// A run of events of one stream: consecutive seqs at consecutive positions.
struct SeqRun: Equatable {
    var firstSeq: Seq
    var firstPosition: Position
    var count: UInt64

    init(firstSeq: Seq, firstPosition: Position, count: UInt64) {
        self.firstSeq = firstSeq
        self.firstPosition = firstPosition
        self.count = count
    }

    init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        firstSeq = StoreKeys.integer(key, at: 8)
        firstPosition = UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
        count = UInt64(UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    }

    var lastSeq: Seq { firstSeq + count - 1 }
    var lastPosition: Position { firstPosition + count - 1 }

    /// The 12-byte value: first position (8, LE) + count (4, LE).
    func withValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var value = (firstPosition.littleEndian, UInt32(count).littleEndian)
        return try withUnsafeBytes(of: &value) { try body(UnsafeRawBufferPointer(rebasing: $0[..<12])) }
    }
}
